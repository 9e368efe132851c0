import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import {
  BearerChallengeException,
  DependencyUnavailableError,
  InsufficientScopeException,
  OAuthException,
  TypedProblemException,
  ValidationFailedException,
} from '../errors.js';
import { Problem, PROBLEM_CONTENT_TYPE } from '../problem.js';

/** What an error says about itself: the problem's status, detail and members, and headers. */
interface Mapped {
  status: number;
  detail?: string;
  members?: Partial<Problem>;
  headers?: Record<string, string>;
}

/** Errors Fastify raises before a route runs (body parsing, size limits, bad URLs). */
interface FrameworkError {
  statusCode?: number;
  code?: string;
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
): { problem: Problem; headers: Record<string, string> } {
  const { status, detail, members, headers = {} } = mapError(exception);
  // A 503 says what to retry; any other server error says nothing about itself.
  const hidden = status >= 500 && status !== 503;
  if (hidden) {
    const error = exception instanceof Error ? exception : new Error(String(exception));
    logger.error(`request ${request.id} failed: ${error.stack ?? error.message}`);
  } else if (exception instanceof DependencyUnavailableError) {
    logger.warn(`request ${request.id}: ${exception.detail} (${exception.message})`);
  }
  return {
    problem: {
      type: 'about:blank',
      title: STATUS_CODES[status] ?? 'Error',
      status,
      ...(detail && !hidden ? { detail } : {}),
      instance: request.url.split('?')[0],
      requestId: String(request.id),
      ...members,
    },
    headers,
  };
}

function mapError(exception: unknown): Mapped {
  if (exception instanceof HttpException) return mapHttpException(exception);
  if (exception instanceof DependencyUnavailableError) {
    return {
      status: 503,
      detail: exception.detail,
      members: exception.checks ? { checks: exception.checks } : {},
      headers: { 'retry-after': '1' },
    };
  }
  if (isFrameworkError(exception)) {
    const status = exception.statusCode!;
    const known = FRAMEWORK_DETAIL[exception.code ?? ''];
    return { status, detail: known ?? (status === 400 ? 'Malformed request body' : undefined) };
  }
  return { status: 500 };
}

function mapHttpException(exception: HttpException): Mapped {
  const headers: Record<string, string> = {};
  const members: Partial<Problem> = {};
  const retryAfter = (exception as { retryAfterSeconds?: number }).retryAfterSeconds;
  if (retryAfter) headers['retry-after'] = String(retryAfter);
  if (exception instanceof ValidationFailedException) members.errors = exception.fieldErrors;
  if (exception instanceof TypedProblemException) members.type = exception.problemType;
  if (
    exception instanceof BearerChallengeException ||
    exception instanceof InsufficientScopeException
  ) {
    headers['www-authenticate'] = exception.challenge;
  }
  if (exception instanceof OAuthException) {
    members.error = exception.error;
    members.error_description = exception.message;
    if (exception.basicChallenge) headers['www-authenticate'] = 'Basic realm="auth"';
  }
  return {
    status: exception.getStatus(),
    detail: httpExceptionDetail(exception),
    members,
    headers,
  };
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

/**
 * Turns a dependency's own error (a database driver's "connection refused")
 * into `DependencyUnavailableError`; any other error passes through as it is.
 */
export type ErrorTranslator = (exception: unknown) => unknown;

/** The one exception filter of the app: every error answers with a problem body. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(private readonly translate: ErrorTranslator = (exception) => exception) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    sendProblem(http.getResponse<FastifyReply>(), this.translate(exception), request);
  }
}
