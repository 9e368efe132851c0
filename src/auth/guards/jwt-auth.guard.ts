import { ExecutionContext, HttpException, Injectable, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { ALLOW_CLIENT_TOKENS_KEY } from '../../common/decorators/allow-client-tokens.decorator.js';
import { IS_PUBLIC_KEY } from '../../common/decorators/public.decorator.js';
import {
  BearerChallengeException,
  DependencyUnavailableException,
} from '../../common/filters/problem-details.filter.js';
import { StoreUnavailableError } from '../../redis/key-value-store.js';
import type { Principal } from '../../tokens/access-token.claims.js';
import { TokenError } from '../../tokens/token.error.js';
import { takePendingRateLimit } from '../../rate-limit/rate-limit.guard.js';
import { VerifiedTokenCache } from '../../tokens/verified-token-cache.js';
import { extractBearer, JwtStrategy } from '../strategies/jwt.strategy.js';

/**
 * The global guard: every route needs a valid access token unless it is
 * marked `@Public()`. Registered once as APP_GUARD, so no route can forget it.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    @Optional() private readonly verifiedTokens?: VerifiedTokenCache,
    @Optional() private readonly strategy?: JwtStrategy,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: Principal }>();
    // The rate-limit count still in flight (see RateLimitGuard): settled together with this check.
    const pendingLimit = takePendingRateLimit(request);
    if (!pendingLimit) return this.authenticate(context, request);
    const [limit, verdict] = await Promise.allSettled([
      pendingLimit,
      this.authenticate(context, request),
    ]);
    // A 429 wins over whatever the token check found.
    if (limit.status === 'rejected') throw limit.reason;
    if (verdict.status === 'rejected') throw verdict.reason;
    return verdict.value;
  }

  private async authenticate(
    context: ExecutionContext,
    request: FastifyRequest & { user?: Principal },
  ): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) return true;
    const token = this.verifiedTokens && this.strategy ? extractBearer(request) : null;
    const cached = token ? this.verifiedTokens!.get(token) : undefined;
    if (!cached) return (await super.canActivate(context)) as boolean;
    // Signature already verified for this exact token: only revocation is checked again.
    let failure: unknown = null;
    try {
      await this.strategy!.assertNotRevoked(cached);
    } catch (error) {
      failure = error;
    }
    request.user = this.handleRequest(failure, failure ? false : cached, null, context);
    return true;
  }

  override handleRequest<T = Principal>(
    error: unknown,
    principal: T | false,
    info: unknown,
    context: ExecutionContext,
  ): T {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const presented = /^bearer\s+\S/i.test(request.headers.authorization ?? '');
    const failure = error ?? info;
    if (failure instanceof StoreUnavailableError) {
      // Fail closed: never accept a token that could not be checked.
      throw new DependencyUnavailableException('Token revocation check');
    }
    if (failure instanceof HttpException) throw failure;
    if (!principal) throw new BearerChallengeException(describe(failure, presented), presented);
    const allowClients = this.reflector.getAllAndOverride<boolean>(ALLOW_CLIENT_TOKENS_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if ((principal as unknown as Principal).clientId && !allowClients) {
      throw new BearerChallengeException('This endpoint requires a user token', true);
    }
    return principal;
  }
}

function describe(failure: unknown, presented: boolean): string {
  if (!presented) return 'Missing bearer token';
  if (failure instanceof TokenError) {
    if (failure.code === 'revoked') return 'The access token has been revoked';
    if (failure.code === 'expired') return 'The access token has expired';
  }
  return 'The access token is invalid';
}
