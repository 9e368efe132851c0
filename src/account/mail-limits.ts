import { Inject, Injectable } from '@nestjs/common';
import { SecurityEventsService } from '../audit/security-events.service.js';
import type { Config, RateLimit as Limit } from '../config/config.js';
import { InjectConfig } from '../config/config.module.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RateLimit } from '../rate-limit/rate-limit.decorator.js';
import type { RateLimitStorage } from '../rate-limit/rate-limit.storage.js';
import { RATE_LIMIT_STORAGE } from '../rate-limit/rate-limit.tokens.js';

/**
 * Puts a mail-sending route under THROTTLE_MAIL_IP: requests per client IP,
 * 429 with Retry-After beyond it (the same guard as every per-IP limit).
 */
export const MailIpLimit = () => RateLimit('mail');

/**
 * THROTTLE_MAIL_ADDRESS: how many account mails one address receives per
 * window, whoever asks and from wherever, so that nobody can flood an inbox.
 * Beyond it the mail is silently dropped and the caller answers as usual:
 * a different answer would tell whether the address has an account.
 */
@Injectable()
export class MailLimits {
  private readonly limit: Limit;

  constructor(
    @Inject(RATE_LIMIT_STORAGE) private readonly storage: RateLimitStorage,
    @InjectConfig() config: Config,
    private readonly metrics: MetricsService,
    private readonly events: SecurityEventsService,
  ) {
    this.limit = config.rateLimits.MAIL_ADDRESS;
  }

  /** Counts a mail to `email` (lower-cased); false once the address has had its allowance. */
  async allowAddress(email: string): Promise<boolean> {
    const key = `mail-address:${email.toLowerCase()}`;
    const ttlMs = this.limit.ttlSeconds * 1000;
    const { isBlocked } = await this.storage.increment(key, ttlMs, this.limit.limit, ttlMs, 'mail');
    if (!isBlocked) return true;
    this.metrics.rateLimitHits.inc({ limit: 'MAIL_ADDRESS' });
    await this.events.record({
      action: 'rate_limit.exceeded',
      outcome: 'failure',
      details: { limit: 'mail_address' },
    });
    return false;
  }
}
