import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ALLOW_CLIENT_TOKENS_KEY } from '../../common/decorators/allow-client-tokens.decorator.js';
import { IS_PUBLIC_KEY } from '../../common/decorators/public.decorator.js';
import { BearerChallengeException } from '../../common/errors.js';
import type { Principal } from '../../common/principal.js';
import { RequestChecks } from '../../common/request-checks.js';
import { setRequestActor } from '../../common/request-context.js';
import { CsrfTokensService } from '../../tokens/csrf-tokens.service.js';
import { TokenError } from '../../tokens/token.error.js';
import { checkCsrf } from '../csrf-check.js';
import { JwtStrategy, runStrategy } from '../strategies/jwt.strategy.js';

/** Methods that change nothing (RFC 9110 §9.2.1): no CSRF token needed. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The global guard: every route needs a valid access token unless it is
 * marked `@Public()`. Registered once as APP_GUARD, so no route can forget it.
 *
 * It runs the `jwt` Passport strategy (`JwtStrategy`, the adapter to the one
 * verification) on every request, the way Passport's `authenticate` runs a
 * strategy, and turns its verdict into a principal or a 401 challenge. It
 * does not go through `authenticate` itself (`AuthGuard('jwt')`): the
 * session, redirect and flash handling around the strategy serve no API
 * request, and measured 25 to 50% more CPU on a protected request (its
 * per-request closures, in garbage collection). Running the injected
 * strategy also keeps two apps in one process on their own strategies,
 * where Passport's registry is one per process.
 *
 * A request without an Authorization header may authenticate with the
 * access-token cookie of cookie mode; if it changes state it must carry the
 * session's CSRF token (`checkCsrf`). Bearer requests never read a cookie.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly strategy: JwtStrategy,
    private readonly csrfTokens: CsrfTokensService,
  ) {}

  /** Settles the request's deferred rate-limit count (`RequestChecks`) together with the token check. */
  canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    return RequestChecks.of(request).settle(this.authenticate(context, request));
  }

  private async authenticate(
    context: ExecutionContext,
    request: FastifyRequest & { user?: Principal },
  ): Promise<boolean> {
    if (this.isMarked(IS_PUBLIC_KEY, context)) return true;
    const { error, principal } = await runStrategy(this.strategy, request);
    // For the handlers (`@CurrentPrincipal()`) and the roles guard.
    const verified = this.handleRequest(error, principal, context);
    request.user = verified;
    // For the request's security events and log lines.
    setRequestActor(
      verified.clientId
        ? { type: 'client', id: verified.clientId }
        : { type: 'user', id: verified.subject },
    );
    // Without an Authorization header the token came from the cookie (cookie mode): a state
    // change must then prove it comes from the app's own pages.
    if (request.headers.authorization === undefined && !SAFE_METHODS.has(request.method)) {
      checkCsrf(this.csrfTokens, verified.sessionId, request);
    }
    return true;
  }

  /** The principal of an accepted token; otherwise the error to answer with. */
  handleRequest(
    error: unknown,
    principal: Principal | false,
    context: ExecutionContext,
  ): Principal {
    // Anything but a refused token (an unavailable blocklist: 503) is not the caller's fault.
    if (error instanceof Error && !(error instanceof TokenError)) throw error;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const presented = /^bearer\s+\S/i.test(request.headers.authorization ?? '');
    if (!principal) throw new BearerChallengeException(describe(error, presented), presented);
    if (!principal.userId && !this.isMarked(ALLOW_CLIENT_TOKENS_KEY, context)) {
      throw new BearerChallengeException('This endpoint requires a user token', true);
    }
    return principal;
  }

  private isMarked(key: string, context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    return this.reflector.getAllAndOverride<boolean>(key, targets) === true;
  }
}

function describe(error: unknown, presented: boolean): string {
  if (!presented) return 'Missing bearer token';
  if (error instanceof TokenError) {
    if (error.code === 'revoked') return 'The access token has been revoked';
    if (error.code === 'expired') return 'The access token has expired';
  }
  return 'The access token is invalid';
}
