import fastifyCookie from '@fastify/cookie';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import helmet from 'helmet';
import { Logger as NestLogger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AppModule } from './app.module.js';
import { AuditSealer } from './audit/audit-sealer.service.js';
import { clientErrorHandler, frameworkErrors } from './common/filters/framework-errors.js';
import { ProblemDetailsFilter } from './common/filters/problem-details.filter.js';
import { ANONYMOUS, runInRequestContext } from './common/request-context.js';
import { parseJsonBody } from './common/validation/json-body.js';
import { createValidationPipe } from './common/validation/validation.pipe.js';
import type { Config } from './config/config.js';
import { fastifyTrustProxy } from './config/trust-proxy.js';
import { databaseUnavailable } from './database/database-errors.js';
import type { AppLogger } from './logging/app-logger.js';
import { APP_LOGGER } from './logging/logging.module.js';
import { MetricsListener } from './metrics/metrics-listener.js';
import { MetricsService } from './metrics/metrics.service.js';
import { setupSwagger } from './swagger.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface CreateAppOptions {
  /** `false` silences the app (tests); otherwise `LOG_LEVEL` decides. */
  logLevels?: false;
  /** Where log lines go instead of stdout (tests read them). */
  logDestination?: DestinationStream;
}

/**
 * Builds the whole app from a parsed configuration (used by `main.ts` and by
 * the tests, which boot it in-process, several with different settings).
 */
export async function createApp(
  config: Config,
  options: CreateAppOptions = {},
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, {
      silent: options.logLevels === false,
      destination: options.logDestination,
    }),
    fastifyAdapter(config),
    // Held until the app's own logger (built from the configuration) takes over below.
    { bufferLogs: true, abortOnError: false },
  );
  app.useLogger(app.get(NestLogger));
  await configureHttp(app, config);
  setupSwagger(app, config);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  // Here rather than in a lifecycle hook: the CLI boots the same modules and must not listen.
  await app.get(MetricsListener).start();
  // Likewise: the server seals the audit chain in the background; the CLI does not.
  app.get(AuditSealer).start();
  return app;
}

function fastifyAdapter(config: Config): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: config.app.bodyLimitBytes,
    // Decides request.ip: what rate limits key on and what sessions and logs record.
    trustProxy: fastifyTrustProxy(config.app.trustProxy),
    // Keep a caller's correlation id if it is sane; otherwise make one.
    genReqId: (request: IncomingMessage) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    // Refusals before a route runs get the same problem body as every other error.
    clientErrorHandler,
    frameworkErrors,
  });
}

/** Errors, validation, bodies, CORS, cookies and the hooks every request passes. */
async function configureHttp(app: NestFastifyApplication, config: Config): Promise<void> {
  if (config.app.corsOrigins.length > 0) {
    // Browser apps on these origins may call the API with a bearer token (no cookies are used).
    app.enableCors({
      origin: config.app.corsOrigins,
      methods: ['GET', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
      exposedHeaders: ['X-Request-Id', 'Retry-After', 'WWW-Authenticate'],
      credentials: false,
      maxAge: 600,
    });
  }
  // Cookies are set with the options each caller gives (no signing secret: the device token
  // carries its own HMAC), and parsed only where one is read (device-cookie.ts), not on every request.
  await app.register(fastifyCookie, { hook: false });
  app.useGlobalFilters(new ProblemDetailsFilter(databaseUnavailable));
  app.useGlobalPipes(createValidationPipe());
  // JSON with a depth limit and strict UTF-8; form bodies keep Nest's parser.
  app.useBodyParser('application/json', { bodyLimit: config.app.bodyLimitBytes }, (_, body, done) =>
    done(null, parseJsonBody(body)),
  );
  // No API takes text/plain: such a body is refused with 415 rather than handed on as a string.
  app.getHttpAdapter().getInstance().removeContentTypeParser('text/plain');
  addRequestHooks(app);
}

function addRequestHooks(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  // First, so that every later hook, guard and handler runs in the request's context.
  fastify.addHook('onRequest', (request, _reply, done) => {
    runInRequestContext(
      {
        requestId: request.id,
        ip: request.ip ?? null,
        userAgent: request.headers['user-agent'] ?? null,
        actor: ANONYMOUS,
      },
      done,
    );
  });
  // Helmet's middleware, built once. (@fastify/helmet rebuilds it on every request,
  // which cost 11-21% of the CPU of a small request in our benchmark.)
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: [`'self'`],
        scriptSrc: [`'self'`],
        styleSrc: [`'self'`, `'unsafe-inline'`],
        imgSrc: [`'self'`, 'data:'],
        connectSrc: [`'self'`],
      },
    },
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    securityHeaders(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined));
  });
  fastify.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  const metrics = app.get(MetricsService);
  const logger = app.get<AppLogger>(APP_LOGGER);
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration
      .labels(request.method, route, String(reply.statusCode))
      .observe(reply.elapsedTime / 1000);
    logRequest(logger, request, reply, route);
  });
}

/**
 * One line per request, written once it is answered. Its fields are picked
 * one by one from what Fastify already holds: no headers, no body, nothing
 * that could carry a credential. pino-http's middleware is not used: it
 * makes a child logger per request whose serializers copy the request and
 * response headers whether or not anything is logged, work the hot paths
 * (`GET /auth/me`, `POST /auth/refresh`) would pay on every request for
 * fields we leave out anyway. Here a request costs one log call.
 */
function logRequest(
  logger: AppLogger,
  request: FastifyRequest,
  reply: FastifyReply,
  route: string,
): void {
  const status = reply.statusCode;
  const level = status >= 500 ? 'error' : 'info';
  if (!logger.isLevelEnabled(level)) return;
  logger[level](
    {
      reqId: request.id,
      method: request.method,
      route,
      status,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
      ip: request.ip,
    },
    'request completed',
  );
}
