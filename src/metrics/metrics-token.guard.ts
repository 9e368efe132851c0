import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { BearerChallengeException } from '../common/errors.js';
import type { Config } from '../config/config.js';
import { InjectConfig } from '../config/config.module.js';

const sha256 = (value: string) => createHash('sha256').update(value).digest();

/**
 * `/metrics` on the main port opens only to `Authorization: Bearer <METRICS_TOKEN>`.
 * The token is not an access token: the route is `@Public()` for the JWT
 * guard and this guard alone decides. Both sides are hashed before the
 * constant-time comparison, so neither the content nor the length of the
 * token shows in the timing.
 */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(@InjectConfig() config: Config) {
    // The module registers the route (and this guard) only when METRICS_TOKEN is set.
    this.expected = sha256(config.metrics.token!);
  }

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization;
    const presented = /^bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
    if (presented === undefined) throw new BearerChallengeException('Missing bearer token', false);
    if (!timingSafeEqual(sha256(presented), this.expected)) {
      throw new BearerChallengeException('The metrics token is invalid', true);
    }
    return true;
  }
}
