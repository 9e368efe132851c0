import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { ALLOW_CLIENT_TOKENS_KEY } from '../../common/decorators/allow-client-tokens.decorator.js';
import { IS_PUBLIC_KEY } from '../../common/decorators/public.decorator.js';
import { BearerChallengeException } from '../../common/errors.js';
import type { Principal } from '../../common/principal.js';
import { RequestChecks } from '../../common/request-checks.js';
import { TokenError } from '../../tokens/token.error.js';

/**
 * The global guard: every route needs a valid access token unless it is
 * marked `@Public()`. Registered once as APP_GUARD, so no route can forget it.
 * Passport runs the `jwt` strategy (`JwtStrategy`); this guard turns its
 * answer into a principal or a 401 challenge.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  /** Settles the request's deferred rate-limit count (`RequestChecks`) together with the token check. */
  override canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    return RequestChecks.of(request).settle(this.authenticate(context));
  }

  private async authenticate(context: ExecutionContext): Promise<boolean> {
    if (this.isMarked(IS_PUBLIC_KEY, context)) return true;
    return (await super.canActivate(context)) as boolean;
  }

  /**
   * What Passport sees of the request: its headers, on an object of its own.
   * Passport writes its helpers (`login`, `logout`, …, `authInfo`) on the
   * request it is given; Fastify's request keeps the shape every request
   * shares. The principal is put on it by `handleRequest`.
   */
  override getRequest(context: ExecutionContext): Pick<FastifyRequest, 'headers'> {
    return { headers: context.switchToHttp().getRequest<FastifyRequest>().headers };
  }

  override handleRequest<T = Principal>(
    error: unknown,
    principal: T | false,
    _info: unknown,
    context: ExecutionContext,
  ): T {
    // Anything but a refused token (an unavailable blocklist: 503) is not the caller's fault.
    if (error instanceof Error && !(error instanceof TokenError)) throw error;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const presented = /^bearer\s+\S/i.test(request.headers.authorization ?? '');
    if (!principal) throw new BearerChallengeException(describe(error, presented), presented);
    if (isServiceToken(principal) && !this.isMarked(ALLOW_CLIENT_TOKENS_KEY, context)) {
      throw new BearerChallengeException('This endpoint requires a user token', true);
    }
    // For the handlers (`@CurrentPrincipal()`) and the roles guard.
    (request as FastifyRequest & { user: T }).user = principal;
    return principal;
  }

  private isMarked(key: string, context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    return this.reflector.getAllAndOverride<boolean>(key, targets) === true;
  }
}

/** A client-credentials token: the caller is a service, with no user, profile or session. */
function isServiceToken(principal: unknown): boolean {
  return !!(principal as Principal).clientId;
}

function describe(error: unknown, presented: boolean): string {
  if (!presented) return 'Missing bearer token';
  if (error instanceof TokenError) {
    if (error.code === 'revoked') return 'The access token has been revoked';
    if (error.code === 'expired') return 'The access token has expired';
  }
  return 'The access token is invalid';
}
