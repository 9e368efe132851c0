import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import type { ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Clock } from '../common/clock.js';
import type { Config, RateLimitName } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { KeyValueStore } from '../redis/key-value-store.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { KEY_VALUE_STORE, RedisModule } from '../redis/redis.module.js';
import { LoginAttemptsService } from './login-attempts.service.js';
import {
  CategoryResolver,
  RATE_LIMIT_CATEGORY_KEY,
  RateLimitCategory,
} from './rate-limit.decorator.js';
import {
  MemoryRateLimitStorage,
  RateLimitStorage,
  RedisRateLimitStorage,
} from './rate-limit.storage.js';
import { RATE_LIMIT_STORAGE } from './rate-limit.tokens.js';

/** The limit (its variable's name, `THROTTLE_<limit>`) of each category of routes. */
export const CATEGORY_LIMIT: Record<RateLimitCategory, RateLimitName> = {
  login: 'LOGIN_IP',
  register: 'REGISTER_IP',
  refresh: 'REFRESH_IP',
  mail: 'MAIL_IP',
  default: 'DEFAULT_IP',
};

const reflector = new Reflector();
/** What each handler declares (`@RateLimit`), read once: each throttler asks on every request. */
const declared = new WeakMap<object, RateLimitCategory | CategoryResolver>();

function categoryOf(context: ExecutionContext): RateLimitCategory {
  const handler = context.getHandler();
  let category = declared.get(handler);
  if (category === undefined) {
    category =
      reflector.getAllAndOverride<RateLimitCategory | CategoryResolver | undefined>(
        RATE_LIMIT_CATEGORY_KEY,
        [handler, context.getClass()],
      ) ?? 'default';
    declared.set(handler, category);
  }
  if (typeof category === 'function') {
    return category(context.switchToHttp().getRequest<FastifyRequest>());
  }
  return category;
}

/** The counters: in Redis with REDIS_URL (shared by every instance), in process otherwise. */
@Module({
  imports: [RedisModule],
  providers: [
    {
      provide: RATE_LIMIT_STORAGE,
      inject: [CONFIG, KEY_VALUE_STORE, Clock],
      useFactory: (config: Config, kv: KeyValueStore, clock: Clock): RateLimitStorage =>
        kv.client
          ? new RedisRateLimitStorage(kv, `${config.redis.keyPrefix}rl:`, clock)
          : new MemoryRateLimitStorage(clock),
    },
  ],
  exports: [RATE_LIMIT_STORAGE],
})
class RateLimitStorageModule implements OnApplicationShutdown {
  constructor(@Inject(RATE_LIMIT_STORAGE) private readonly storage: RateLimitStorage) {}

  onApplicationShutdown(): void {
    if (this.storage instanceof MemoryRateLimitStorage) this.storage.close();
  }
}

/**
 * Per-IP limits (`@nestjs/throttler`, run by `RateLimitGuard`, which
 * `AuthModule` registers with the other global guards) and the per-account
 * sign-in allowances (`LoginAttemptsService`).
 */
@Module({
  imports: [
    RateLimitStorageModule,
    MetricsModule,
    ThrottlerModule.forRootAsync({
      imports: [RateLimitStorageModule],
      inject: [CONFIG, RATE_LIMIT_STORAGE],
      useFactory: (config: Config, storage: RateLimitStorage) => ({
        storage,
        // One named throttler per category; each applies only to its own routes.
        throttlers: (Object.keys(CATEGORY_LIMIT) as RateLimitCategory[]).map((category) => ({
          name: category,
          limit: config.rateLimits[CATEGORY_LIMIT[category]].limit,
          ttl: config.rateLimits[CATEGORY_LIMIT[category]].ttlSeconds * 1000,
          skipIf: (context: ExecutionContext) => categoryOf(context) !== category,
        })),
        // The socket address, or, behind proxies named by TRUST_PROXY, the right-most
        // X-Forwarded-For entry they did not add themselves (Fastify resolves request.ip).
        getTracker: (request: Record<string, unknown>) =>
          typeof request.ip === 'string' ? request.ip : 'unknown',
        // One counter per category and client IP, shared by the category's routes (the throttler's
        // default key adds the handler, which gives /auth/login and /auth/token a budget each).
        generateKey: (_context: ExecutionContext, tracker: string, name: string) =>
          `${name}:${tracker}`,
        setHeaders: false,
      }),
    }),
  ],
  providers: [LoginAttemptsService],
  exports: [ThrottlerModule, LoginAttemptsService, RateLimitStorageModule],
})
export class RateLimitModule {}
