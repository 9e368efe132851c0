import {
  Injectable,
  Logger,
  NotFoundException,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import Fastify, { type FastifyInstance } from 'fastify';
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

/** Runs the management listener with the app, in a single-process server (see `main.ts` for a cluster). */
@Injectable()
export class MetricsListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private server: FastifyInstance | undefined;

  constructor(
    @InjectConfig() private readonly config: Config,
    private readonly metrics: MetricsService,
  ) {}

  /** Where it listens (the tests ask). */
  get address(): AddressInfo {
    return this.server!.server.address() as AddressInfo;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.server = await startMetricsListener(
      { host: this.config.metrics.host, port: this.config.metrics.port! },
      this.metrics,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server?.close();
  }
}
