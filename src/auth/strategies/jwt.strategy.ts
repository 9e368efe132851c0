import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import passport from 'passport';
import { ExtractJwt } from 'passport-jwt';
import type { Principal } from '../../common/principal.js';
import { ACCESS_COOKIE, requestCookie } from '../../common/token-cookies.js';
import { AccessTokensService } from '../../tokens/access-tokens.service.js';

const bearerToken = ExtractJwt.fromAuthHeaderAsBearerToken();

/** Cookie mode: the access-token cookie, read only when no Authorization header was sent. */
function accessTokenCookie(request: FastifyRequest['raw'] | FastifyRequest): string | null {
  if (request.headers.authorization !== undefined || !('server' in request)) return null;
  return requestCookie(request, ACCESS_COOKIE) ?? null;
}

type Verify = (token: string, done: (error: unknown, principal?: Principal) => void) => void;

/**
 * A Passport strategy for `Authorization: Bearer` tokens (or, without that
 * header, the access-token cookie of cookie mode) that leaves the
 * verification to its `verify` callback: success with the principal, failure
 * when no token was sent, and an error (the guard tells a refused token from
 * an unavailable blocklist) for anything the callback throws.
 *
 * passport-jwt's own `Strategy` runs its own `jsonwebtoken.verify` with its
 * own options before any callback of ours: a second verification path, which
 * could use neither our key selection, nor our clock, nor the verified-token
 * cache. passport-jwt provides the extraction; `AccessTokensService` the rest.
 */
class BearerTokenStrategy extends passport.Strategy {
  constructor(private readonly verify: Verify) {
    super();
  }

  override authenticate(request: FastifyRequest['raw'] | FastifyRequest): void {
    const token = bearerToken(request) ?? accessTokenCookie(request);
    if (!token) return this.fail();
    this.verify(token, (error, principal) =>
      error || !principal ? this.error(error) : this.success(principal),
    );
  }
}

/** The `jwt` strategy the global guard runs: the one verification of an access token. */
@Injectable()
export class JwtStrategy extends PassportStrategy(BearerTokenStrategy, 'jwt') {
  constructor(private readonly accessTokens: AccessTokensService) {
    super();
  }

  validate(token: string): Promise<Principal> {
    return this.accessTokens.authenticate(token);
  }
}

/** What a strategy decided about a request: a principal, no credentials (`false`), or an error. */
export interface StrategyVerdict {
  error: unknown;
  principal: Principal | false;
}

/**
 * Runs `strategy` on one request as Passport's `authenticate` does: on a copy
 * of the strategy whose `success`, `fail` and `error` belong to this request.
 */
export function runStrategy(
  strategy: JwtStrategy,
  request: FastifyRequest,
): Promise<StrategyVerdict> {
  return new Promise((resolve) => {
    const run: JwtStrategy = Object.create(strategy);
    run.success = (principal) => resolve({ error: null, principal: principal as Principal });
    run.fail = () => resolve({ error: null, principal: false });
    run.error = (error) => resolve({ error, principal: false });
    run.authenticate(request);
  });
}
