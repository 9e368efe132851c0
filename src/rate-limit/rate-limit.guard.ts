import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerException, ThrottlerGuard } from '@nestjs/throttler';
import type {
  ThrottlerLimitDetail,
  ThrottlerRequest,
} from '@nestjs/throttler/dist/throttler.guard.interface.js';
import type { FastifyReply, FastifyRequest } from 'fastify';

const PENDING_LIMIT = Symbol('pendingRateLimit');
type WithPendingLimit = FastifyRequest & { [PENDING_LIMIT]?: Promise<void> };

/**
 * The rate-limit count of this request, if the guard left it in flight for
 * the JWT guard to settle (see `RateLimitGuard.handleRequest`).
 */
export function takePendingRateLimit(request: FastifyRequest): Promise<void> | undefined {
  const pending = (request as WithPendingLimit)[PENDING_LIMIT];
  delete (request as WithPendingLimit)[PENDING_LIMIT];
  return pending;
}

/**
 * The throttler, with two changes: a plain `Retry-After` (it only sends
 * `Retry-After-<name>` for named limits), and, for a request that carries a
 * bearer token, the default per-IP count is not awaited here. The JWT guard
 * sends its blocklist lookup while the count is in flight and settles both,
 * so a protected request waits for one Redis round trip, not two.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const request = props.context.switchToHttp().getRequest<WithPendingLimit>();
    const bearer = /^bearer\s/i.test(request.headers?.authorization ?? '');
    if (props.throttler.name !== 'default' || !bearer) return super.handleRequest(props);
    const pending = super.handleRequest(props).then(() => undefined);
    // Observed by the JWT guard; this only keeps an early failure from being reported as unhandled.
    pending.catch(() => undefined);
    request[PENDING_LIMIT] = pending;
    return true;
  }

  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    void reply.header('Retry-After', String(Math.max(1, detail.timeToBlockExpire)));
    throw new ThrottlerException('Too many requests; try again later');
  }
}
