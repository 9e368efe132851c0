import fastifyCookie from '@fastify/cookie';
import { ConsoleLogger, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import helmet from 'helmet';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AppModule } from './app.module.js';
import { clientErrorHandler, frameworkErrors } from './common/filters/framework-errors.js';
import { ProblemDetailsFilter } from './common/filters/problem-details.filter.js';
import { parseJsonBody } from './common/validation/json-body.js';
import { createValidationPipe } from './common/validation/validation.pipe.js';
import type { Config } from './config/config.js';
import { fastifyTrustProxy } from './config/trust-proxy.js';
import { databaseUnavailable } from './database/database-errors.js';
import { MetricsListener } from './metrics/metrics-listener.js';
import { MetricsService } from './metrics/metrics.service.js';
import { registerHostedPages } from './pages/register-pages.js';
import { setupSwagger } from './swagger.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface CreateAppOptions {
  /** Log levels to print; `false` silences the app (tests). */
  logLevels?: LogLevel[] | false;
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
    AppModule.forRoot(config),
    fastifyAdapter(config),
    { logger: appLogger(config, options), abortOnError: false },
  );
  await configureHttp(app, config);
  setupSwagger(app, config);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  // Here rather than in a lifecycle hook: the CLI boots the same modules and must not listen.
  await app.get(MetricsListener).start();
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

function appLogger(config: Config, options: CreateAppOptions): ConsoleLogger | false {
  if (options.logLevels === false) return false;
  return new ConsoleLogger({
    json: config.app.logFormat === 'json',
    logLevels: options.logLevels ?? ['log', 'warn', 'error', 'fatal'],
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
  addRequestHooks(app);
}

function addRequestHooks(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
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
    metrics.httpDuration
      .labels(request.method, request.routeOptions.url ?? 'unmatched', String(reply.statusCode))
      .observe(reply.elapsedTime / 1000);
  });
}
