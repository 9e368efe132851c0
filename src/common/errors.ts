import { HttpException } from '@nestjs/common';
import type { FieldError } from './problem.js';

/**
 * The errors that carry more than a status: the one filter
 * (`filters/problem-details.filter.ts`) reads their fields into the problem
 * body and headers. Errors of a single feature live with that feature.
 */

/** 400 that lists the failing fields. */
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

/** A valid access token without the scope the resource needs (RFC 6750 §3.1): 403 with a challenge. */
export class InsufficientScopeException extends HttpException {
  constructor(readonly scope: string) {
    super(`The access token lacks the ${scope} scope`, 403);
  }

  get challenge(): string {
    return `Bearer realm="auth", error="insufficient_scope", scope="${this.scope}"`;
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

/** Per-dependency results of a readiness check, as the problem body's `checks`. */
export type DependencyChecks = Record<string, { status: string }>;

/**
 * A service the request depends on (PostgreSQL, Redis, the workers of a
 * cluster) cannot answer. Every dependency raises this one error, and it is
 * always a 503 with `Retry-After`: the request failed closed and may work a
 * moment later.
 */
export class DependencyUnavailableError extends Error {
  constructor(
    /** Told to the client: what cannot answer. */
    readonly detail: string,
    /** Written to the log only: why (a driver's own message). */
    reason: string = detail,
    /** Each dependency's status, when a readiness check failed. */
    readonly checks?: DependencyChecks,
  ) {
    super(reason);
    this.name = 'DependencyUnavailableError';
  }

  /** "`what` is unavailable; try again shortly". */
  static of(what: string, reason?: string): DependencyUnavailableError {
    return new DependencyUnavailableError(`${what} is unavailable; try again shortly`, reason);
  }
}

/**
 * An error whose problem body names its case in `type` (RFC 9457 §3.1.1),
 * for clients that act on the case rather than on the status alone.
 */
export class TypedProblemException extends HttpException {
  constructor(
    readonly problemType: string,
    detail: string,
    status: number,
  ) {
    super(detail, status);
  }
}
