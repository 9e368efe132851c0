import { ExecutionContext, Injectable } from '@nestjs/common';
import {
  ThrottlerException,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerRequest,
} from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequestChecks } from '../common/request-checks.js';

/**
 * The throttler, with two changes: a plain `Retry-After` (it only sends
 * `Retry-After-<name>` for named limits), and, for a request that carries a
 * bearer token, the default per-IP count is deferred to the request's
 * `RequestChecks`: the JWT guard settles it together with the token check.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const request = props.context.switchToHttp().getRequest<FastifyRequest>();
    const bearer = /^bearer\s/i.test(request.headers?.authorization ?? '');
    if (props.throttler.name !== 'default' || !bearer) return super.handleRequest(props);
    await RequestChecks.of(request).defer(super.handleRequest(props).then(() => undefined));
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
