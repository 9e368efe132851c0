import { ConflictException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import {
  BearerChallengeException,
  DependencyUnavailableError,
  OAuthException,
  ValidationFailedException,
} from '../errors.js';
import { toProblem } from './problem-details.filter.js';

const request = (url = '/some/path?x=1') => ({ id: 'req-1', url }) as unknown as FastifyRequest;

describe(toProblem.name, () => {
  it('shapes an HTTP exception as problem details without the query string', () => {
    const { problem } = toProblem(new ConflictException('Email is already registered'), request());

    expect(problem).toEqual({
      type: 'about:blank',
      title: 'Conflict',
      status: 409,
      detail: 'Email is already registered',
      instance: '/some/path',
      requestId: 'req-1',
    });
  });

  it('lists the failing fields of a validation failure', () => {
    const fields = [{ field: 'email', messages: ['email must be a valid email address'] }];

    const { problem } = toProblem(new ValidationFailedException(fields), request());

    expect(problem.status).toBe(400);
    expect(problem.errors).toEqual(fields);
  });

  it('challenges with invalid_token only when a token was presented', () => {
    const presented = toProblem(
      new BearerChallengeException('The access token is invalid', true),
      request(),
    );
    const missing = toProblem(
      new BearerChallengeException('Missing bearer token', false),
      request(),
    );

    expect(presented.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="auth"');
  });

  it('carries the RFC 6749 error code and a Basic challenge for invalid_client', () => {
    const { problem, headers } = toProblem(
      new OAuthException('invalid_client', 'Client authentication failed', 401, true),
      request(),
    );

    expect(problem).toMatchObject({
      status: 401,
      error: 'invalid_client',
      error_description: 'Client authentication failed',
    });
    expect(headers['www-authenticate']).toBe('Basic realm="auth"');
  });

  it('answers a dependency that cannot answer with a retryable 503 that says what, not why', () => {
    const error = DependencyUnavailableError.of(
      'The database',
      'connect ECONNREFUSED 10.0.0.7:5432',
    );

    const { problem, headers } = toProblem(error, request());

    expect(problem).toMatchObject({
      status: 503,
      detail: 'The database is unavailable; try again shortly',
    });
    expect(JSON.stringify(problem)).not.toContain('ECONNREFUSED');
    expect(headers['retry-after']).toBe('1');
  });

  it('lists the checks of a failed readiness check', () => {
    const checks = { database: { status: 'up' }, redis: { status: 'down' } };

    const { problem } = toProblem(
      new DependencyUnavailableError('Not ready: redis', undefined, checks),
      request(),
    );

    expect(problem).toMatchObject({ status: 503, detail: 'Not ready: redis', checks });
  });

  it('hides everything about an unexpected error', () => {
    const error = new Error(
      'duplicate key value violates unique constraint "UQ_users_email" SELECT * FROM users',
    );

    const { problem } = toProblem(error, request());

    expect(problem).toEqual({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      instance: '/some/path',
      requestId: 'req-1',
    });
  });

  it('maps a body-size error raised by the framework to 413', () => {
    const error = Object.assign(new Error('Request body is too large'), {
      statusCode: 413,
      code: 'FST_ERR_CTP_BODY_TOO_LARGE',
    });

    expect(toProblem(error, request()).problem).toMatchObject({
      status: 413,
      detail: 'Request body is too large',
    });
  });
});
