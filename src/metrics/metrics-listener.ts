import { Injectable, Logger, NotFoundException, OnApplicationShutdown } from '@nestjs/common';
import Fastify, { type FastifyInstance } from 'fastify';
import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { sendProblem } from '../common/filters/problem-details.filter.js';
import type { Config, MetricsSettings } from '../config/config.js';
import { InjectConfig } from '../config/config.module.js';
import type { MetricsSource } from './cluster-metrics.js';
import { MetricsService } from './metrics.service.js';

const logger = new Logger('Metrics');

/**
 * The management listener (`METRICS_PORT` on `METRICS_HOST`): `GET /metrics`
 * without a token, nothing else. It trusts its network, as Keycloak's
 * management port does, so it binds to loopback unless told otherwise.
 * Errors keep the API's problem shape.
 */
export async function startMetricsListener(
  settings: Pick<MetricsSettings, 'host'> & { port: number },
  source: MetricsSource,
): Promise<FastifyInstance> {
  const server = Fastify({ genReqId: () => randomUUID() });
  server.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  server.get('/metrics', async (_request, reply) => {
    const body = await source.scrape();
    return reply
      .header('content-type', source.contentType)
      .header('cache-control', 'no-store')
      .send(body);
  });
  server.setNotFoundHandler((request, reply) =>
    sendProblem(reply, new NotFoundException(`Cannot ${request.method} ${request.url}`), request),
  );
  server.setErrorHandler((error, request, reply) => sendProblem(reply, error, request));
  await server.listen({ host: settings.host, port: settings.port });
  const { address, port } = server.server.address() as AddressInfo;
  logger.log(
    `metrics on http://${address.includes(':') ? `[${address}]` : address}:${port}/metrics`,
  );
  return server;
}

/**
 * The management listener of a single-process server. `createApp` starts it
 * explicitly, so that the CLI, which boots the same modules without HTTP,
 * never binds the port; in a cluster the primary runs it instead (`main.ts`).
 */
@Injectable()
export class MetricsListener implements OnApplicationShutdown {
  private server: FastifyInstance | undefined;

  constructor(
    @InjectConfig() private readonly config: Config,
    private readonly metrics: MetricsService,
  ) {}

  /** Where it listens, or `null` when it does not. */
  get address(): AddressInfo | null {
    return (this.server?.server.address() as AddressInfo | undefined) ?? null;
  }

  /** Listens on METRICS_PORT, if set. */
  async start(): Promise<void> {
    const { host, port } = this.config.metrics;
    if (port === undefined || cluster.isWorker || this.server) return;
    this.server = await startMetricsListener({ host, port }, this.metrics);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server?.close();
  }
}
