import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { FieldError, Problem, PROBLEM_CONTENT_TYPE } from '../problem.js';

/** Thrown by the validation pipe: a 400 that lists the failing fields. */
export class ValidationFailedException extends HttpException {
  constructor(readonly fieldErrors: FieldError[]) {
    super('Validation failed', 400);
  }
}

/**
 * A refused or missing credential (RFC 6750 §3): 401 with a
 * `WWW-Authenticate: Bearer` challenge; `error="invalid_token"` only when a
 * token was presented.
 */
export class BearerChallengeException extends HttpException {
  constructor(
    detail: string,
    readonly tokenPresented: boolean,
  ) {
    super(detail, 401);
  }

  get challenge(): string {
    if (!this.tokenPresented) return 'Bearer realm="auth"';
    return `Bearer realm="auth", error="invalid_token", error_description="${this.message}"`;
  }
}

/** A service that the request depends on (database, Redis) cannot answer: fail closed. */
export class DependencyUnavailableException extends HttpException {
  constructor(what: string) {
    super(`${what} is unavailable; try again shortly`, 503);
  }
}

/** An RFC 6749 §5.2 error from an OAuth2 endpoint (`invalid_grant`, `invalid_client`, …). */
export class OAuthException extends HttpException {
  constructor(
    readonly error: string,
    description: string,
    status = 400,
    readonly basicChallenge = false,
    readonly retryAfterSeconds?: number,
  ) {
    super(description, status);
  }
}

interface FrameworkError {
  statusCode?: number;
  code?: string;
  message?: string;
}

const FRAMEWORK_DETAIL: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'Request body is too large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Unsupported content type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Content-Length does not match the body',
  FST_ERR_BAD_URL: 'The URL is not valid percent-encoding',
  FST_ERR_MAX_PARAM_LENGTH: 'A path parameter is too long',
};

const logger = new Logger('Errors');

/**
 * Turns anything thrown into one RFC 9457 body. Details of unexpected errors
 * (stack, SQL, library names) go to the log with the request id, never to the
 * client.
 */
export function toProblem(
  exception: unknown,
  request: FastifyRequest,
): {
  problem: Problem;
  headers: Record<string, string>;
} {
  const headers: Record<string, string> = {};
  let status = 500;
  let detail: string | undefined;
  const extra: Partial<Problem> = {};

  if (exception instanceof HttpException) {
    status = exception.getStatus();
    detail = httpExceptionDetail(exception);
    if (exception instanceof ValidationFailedException) extra.errors = exception.fieldErrors;
    const checks = healthChecks(exception);
    if (checks) {
      extra.checks = checks;
      detail = `Not ready: ${Object.keys(checks)
        .filter((name) => checks[name].status !== 'up')
        .join(', ')}`;
    }
    const retryAfter = (exception as { retryAfterSeconds?: number }).retryAfterSeconds;
    if (retryAfter) headers['retry-after'] = String(retryAfter);
    if (exception instanceof BearerChallengeException)
      headers['www-authenticate'] = exception.challenge;
    if (exception instanceof OAuthException) {
      extra.error = exception.error;
      extra.error_description = exception.message;
      if (exception.basicChallenge) headers['www-authenticate'] = 'Basic realm="auth"';
    }
  } else if (isDatabaseUnavailable(exception)) {
    status = 503;
    detail = 'The database is unavailable; try again shortly';
    headers['retry-after'] = '1';
    logger.warn(`request ${request.id}: database unavailable (${(exception as Error).message})`);
  } else if (exception instanceof Error && exception.name === 'StoreUnavailableError') {
    // Redis could not answer: fail closed with a retryable status.
    status = 503;
    detail = 'A required service is unavailable; try again shortly';
    headers['retry-after'] = '1';
  } else if (isFrameworkError(exception)) {
    // Errors raised by Fastify before a route runs (body parsing, size limits).
    status = exception.statusCode!;
    detail =
      FRAMEWORK_DETAIL[exception.code ?? ''] ??
      (status === 400 ? 'Malformed request body' : undefined);
  }

  if (status >= 500 && status !== 503) {
    const error = exception instanceof Error ? exception : new Error(String(exception));
    logger.error(`request ${request.id} failed: ${error.stack ?? error.message}`);
    detail = undefined;
  }

  return {
    problem: {
      type: 'about:blank',
      title: STATUS_CODES[status] ?? 'Error',
      status,
      ...(detail ? { detail } : {}),
      instance: request.url.split('?')[0],
      requestId: String(request.id),
      ...extra,
    },
    headers,
  };
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);
// PostgreSQL classes 08 (connection exception) and 57P (operator intervention: shutdown, cannot connect now).
const UNAVAILABLE_SQLSTATE = /^(08|57P0[1-3])/;

/** The database could not be reached or went away: a retryable 503, not a 500. */
function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  const cause = (error as { driverError?: { code?: unknown } }).driverError?.code;
  return (
    (typeof code === 'string' && (CONNECTION_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) ||
    (typeof cause === 'string' &&
      (CONNECTION_CODES.has(cause) || UNAVAILABLE_SQLSTATE.test(cause))) ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
      error.message,
    )
  );
}

/** The per-dependency results of a failed readiness check (from @nestjs/terminus). */
function healthChecks(exception: HttpException): Record<string, { status: string }> | undefined {
  const response = exception.getResponse() as { status?: unknown; details?: unknown };
  if (
    response?.status !== 'error' ||
    typeof response.details !== 'object' ||
    response.details === null
  )
    return undefined;
  return response.details as Record<string, { status: string }>;
}

function httpExceptionDetail(exception: HttpException): string | undefined {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}

function isFrameworkError(error: unknown): error is FrameworkError {
  const statusCode = (error as FrameworkError | null)?.statusCode;
  return typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500;
}

export function sendProblem(
  reply: FastifyReply,
  exception: unknown,
  request: FastifyRequest,
): void {
  const { problem, headers } = toProblem(exception, request);
  // OAuth2 clients parse `application/json` errors (RFC 6749 §5.2).
  const contentType = problem.error ? 'application/json' : PROBLEM_CONTENT_TYPE;
  void reply
    .status(problem.status)
    .headers({
      ...headers,
      'content-type': `${contentType}; charset=utf-8`,
      'cache-control': 'no-store',
    })
    .send(JSON.stringify(problem));
}

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(http.getResponse<FastifyReply>(), exception, http.getRequest<FastifyRequest>());
  }
}
