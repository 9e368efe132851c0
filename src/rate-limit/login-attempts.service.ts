import { HttpException, Inject, Injectable } from '@nestjs/common';
import type { Config } from '../config/config.js';
import { InjectConfig } from '../config/config.module.js';
import { RATE_LIMIT_STORAGE } from './rate-limit.tokens.js';
import type { RateLimitStorage } from './rate-limit.storage.js';

/** 429 with the seconds until the window ends. */
export class TooManyAttemptsException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super('Too many failed sign-in attempts for this account; try again later', 429);
  }
}

/**
 * Failed sign-ins per account (the login name as typed, normalised): once
 * the limit is reached, even the right password is refused until the window
 * passes. Keyed by account only, so changing IP or X-Forwarded-For does not
 * reset it; unknown accounts are counted the same way, so the lock reveals
 * nothing about which accounts exist.
 */
@Injectable()
export class LoginAttemptsService {
  constructor(
    @Inject(RATE_LIMIT_STORAGE) private readonly storage: RateLimitStorage,
    @InjectConfig() private readonly config: Config,
  ) {}

  async assertAllowed(login: string): Promise<void> {
    const state = await this.storage.peek(this.key(login));
    if (state.hits >= this.config.rateLimits.LOGIN_ACCOUNT.limit) {
      throw new TooManyAttemptsException(Math.max(1, state.secondsLeft));
    }
  }

  async recordFailure(login: string): Promise<void> {
    await this.storage.add(this.key(login), this.config.rateLimits.LOGIN_ACCOUNT.ttlSeconds * 1000);
  }

  private key(login: string): string {
    return `login-account:${login.trim().normalize('NFKC').toLowerCase()}`;
  }
}
