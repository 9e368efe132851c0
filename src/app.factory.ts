import fastifyCookie from '@fastify/cookie';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import helmet from 'helmet';
import type { DestinationStream } from 'pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AppModule } from './app.module.js';
import { AuditSealer } from './audit/audit-sealer.service.js';
import { clientErrorHandler, frameworkErrors } from './common/filters/framework-errors.js';
import { ProblemDetailsFilter } from './common/filters/problem-details.filter.js';
import { ANONYMOUS, runInRequestContext } from './common/request-context.js';
import { CSRF_HEADER, TOKEN_DELIVERY_HEADER } from './common/token-cookies.js';
import { parseJsonBody } from './common/validation/json-body.js';
import { createValidationPipe } from './common/validation/validation.pipe.js';
import type { Config } from './config/config.js';
import { fastifyTrustProxy } from './config/trust-proxy.js';
import { databaseUnavailable } from './database/database-errors.js';
import { type AppLogger, createAppLogger, nestLoggerFor } from './logging/app-logger.js';
import { MetricsListener } from './metrics/metrics-listener.js';
import { MetricsService } from './metrics/metrics.service.js';
import { OutboxWorker } from './outbox/outbox.worker.js';
import { registerHostedPages } from './pages/register-pages.js';
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
  const logger = createAppLogger(config.app, {
    silent: options.logLevels === false,
    destination: options.logDestination,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, logger),
    fastifyAdapter(config),
    { logger: nestLoggerFor(logger), abortOnError: false },
  );
  // Connections past the cap are closed as they arrive, before they cost a request.
  app.getHttpServer().maxConnections = config.server.maxConnections;
  await configureHttp(app, config, logger);
  setupSwagger(app, config);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  // Here rather than in a lifecycle hook: the CLI boots the same modules and must not listen.
  await app.get(MetricsListener).start();
  // The server delivers the outbox (webhooks); the CLI, which boots the same modules, does not.
  app.get(OutboxWorker).start();
  // Likewise: the server seals the audit chain in the background; the CLI does not.
  app.get(AuditSealer).start();
  return app;
}

/** Node checks headers and request timeouts this often (its default, 30 s, would let them overrun). */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

function fastifyAdapter(config: Config): FastifyAdapter {
  const { server } = config;
  return new FastifyAdapter({
    bodyLimit: config.app.bodyLimitBytes,
    // Slow clients (headers or a body sent byte by byte, idle sockets) are cut off: see docs/configuration.md.
    http: {
      headersTimeout: server.headersTimeoutMs,
      // Node checks the headers timeout against this one as it creates the server.
      requestTimeout: server.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_INTERVAL_MS, server.headersTimeoutMs),
    },
    requestTimeout: server.requestTimeoutMs,
    keepAliveTimeout: server.keepAliveTimeoutMs,
    connectionTimeout: server.connectionTimeoutMs,
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
async function configureHttp(
  app: NestFastifyApplication,
  config: Config,
  logger: AppLogger,
): Promise<void> {
  if (config.app.corsOrigins.length > 0) enableCors(app, config.app.corsOrigins);
  // Cookies are set with the options each caller gives (no signing secret: the device and CSRF
  // tokens carry their own HMAC), and parsed only where one is read (device-cookie.ts,
  // token-cookies.ts), never on a bearer request.
  await app.register(fastifyCookie, { hook: false });
  // Templates and /assets/ of the hosted sign-in pages (src/pages); each page sets its own CSP.
  await registerHostedPages(app.getHttpAdapter().getInstance());
  app.useGlobalFilters(new ProblemDetailsFilter(databaseUnavailable));
  app.useGlobalPipes(createValidationPipe());
  // JSON with a depth limit and strict UTF-8; form bodies (OAuth, hosted pages) keep Nest's parser.
  app.useBodyParser('application/json', { bodyLimit: config.app.bodyLimitBytes }, (_, body, done) =>
    done(null, parseJsonBody(body)),
  );
  // No API takes text/plain: such a body is refused with 415 rather than handed on as a string.
  app.getHttpAdapter().getInstance().removeContentTypeParser('text/plain');
  addRequestHooks(app, logger);
}

/**
 * Browser apps on `origins` (exact match) may call the API with a bearer
 * token or, in cookie mode, with credentials (cookies). Any other origin gets
 * no CORS header at all, credentials least of all; `Vary: Origin` on every
 * response, since each depends on the origin.
 */
function enableCors(app: NestFastifyApplication, origins: readonly string[]): void {
  const allowed = new Set(origins);
  const forAllowedOrigin = {
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: [
      'Authorization',
      'Content-Type',
      'X-Request-Id',
      TOKEN_DELIVERY_HEADER,
      CSRF_HEADER,
    ],
    exposedHeaders: ['X-Request-Id', 'Retry-After', 'WWW-Authenticate'],
    credentials: true,
    maxAge: 600,
  };
  app.enableCors({
    delegator: (request: FastifyRequest, callback: (error: null, options: object) => void) => {
      const origin = request.headers.origin;
      const allowedOrigin = origin !== undefined && allowed.has(origin);
      callback(null, allowedOrigin ? { ...forAllowedOrigin, origin } : { origin: false });
    },
  });
}

function addRequestHooks(app: NestFastifyApplication, logger: AppLogger): void {
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
