import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import {
  ThrottlerException,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerRequest,
} from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SecurityEventsService } from '../audit/security-events.service.js';
import { RequestChecks } from '../common/request-checks.js';

/**
 * The throttler, with two changes: a plain `Retry-After` (it only sends
 * `Retry-After-<name>` for named limits), and, for a request that carries a
 * bearer token, the default per-IP count is deferred to the request's
 * `RequestChecks`: the JWT guard settles it together with the token check.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  // A property, so that the throttler's own constructor injection stays as it is.
  @Inject(SecurityEventsService) private readonly events!: SecurityEventsService;

  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const request = props.context.switchToHttp().getRequest<FastifyRequest>();
    const bearer = /^bearer\s/i.test(request.headers?.authorization ?? '');
    const counted = this.count(props);
    if (props.throttler.name !== 'default' || !bearer) return counted;
    await RequestChecks.of(request).defer(counted.then(() => undefined));
    return true;
  }

  /** The throttler's count; a refusal is reported with the limit it hit (`login_ip`, ...). */
  private count(props: ThrottlerRequest): Promise<boolean> {
    return super.handleRequest(props).catch(async (error: unknown) => {
      if (error instanceof ThrottlerException) {
        await this.events.record({
          action: 'rate_limit.exceeded',
          outcome: 'failure',
          details: { limit: `${props.throttler.name ?? 'default'}_ip` },
        });
      }
      throw error;
    });
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
