import { HttpException, Inject, Injectable } from '@nestjs/common';
import type { Config, RateLimit } from '../config/config.js';
import { InjectConfig } from '../config/config.module.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RATE_LIMIT_STORAGE } from './rate-limit.tokens.js';
import type { AttemptRule } from './attempt-streak.js';
import type { RateLimitStorage } from './rate-limit.storage.js';

/** 429 with the seconds until the lock ends. */
export class TooManyAttemptsException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super('Too many failed sign-in attempts for this account; try again later', 429);
  }
}

/** A counted attempt, to be given back if its password proves right. */
export interface AttemptReservation {
  readonly key: string;
  readonly lockedUntil: number;
  /** This attempt used up the allowance: if it fails, the streak is at or past its first lock. */
  readonly allowanceSpent: boolean;
}

/** Each day without attempts forgives one step of failures (see `unforgiven`). */
const FORGIVE_STEP_MS = 24 * 3600 * 1000;

/**
 * Failed password checks per account, after OWASP's device cookies: a
 * client that presents a valid device token for the account counts against
 * that device's own allowance; every other client shares the account's
 * untrusted-client allowance. Either is locked with a doubling lock once
 * spent, so failures from elsewhere never lock out the owner's known
 * devices. Keyed by account (or, for unknown names, by the name), never by
 * IP, and the same for unknown accounts as for real ones.
 */
@Injectable()
export class LoginAttemptsService {
  private readonly untrustedRule: AttemptRule;
  private readonly deviceRule: AttemptRule;

  constructor(
    @Inject(RATE_LIMIT_STORAGE) private readonly storage: RateLimitStorage,
    @InjectConfig() config: Config,
    private readonly metrics: MetricsService,
  ) {
    const rule = ({ limit, ttlSeconds }: RateLimit): AttemptRule => ({
      limit,
      lockMs: ttlSeconds * 1000,
      maxLockMs: config.loginLockMaxSeconds * 1000,
      forgiveMs: FORGIVE_STEP_MS,
    });
    this.untrustedRule = rule(config.rateLimits.LOGIN_ACCOUNT);
    this.deviceRule = rule(config.rateLimits.LOGIN_DEVICE);
  }

  /**
   * Counts an attempt before its password is checked, in one atomic step:
   * however many arrive at once, on any number of instances, no more get
   * through than the allowance has left; the rest are refused with 429.
   */
  async reserve(account: string, deviceId: string | null): Promise<AttemptReservation> {
    const key = deviceId ? `login-device:${account}:${deviceId}` : accountKey(account);
    const rule = deviceId ? this.deviceRule : this.untrustedRule;
    const reservation = await this.storage.reserve(key, rule);
    if (!reservation.allowed) {
      this.metrics.rateLimitHits.inc({ limit: deviceId ? 'LOGIN_DEVICE' : 'LOGIN_ACCOUNT' });
      throw new TooManyAttemptsException(Math.max(1, Math.ceil(reservation.retryAfterMs / 1000)));
    }
    return {
      key,
      lockedUntil: reservation.lockedUntil,
      allowanceSpent: reservation.failures >= rule.limit,
    };
  }

  /**
   * A right password was no guess: its attempt is given back, with the lock
   * it set, so the owner's own sign-ins never use up an allowance.
   */
  release(reservation: AttemptReservation): Promise<void> {
    return this.storage.release(reservation.key, reservation.lockedUntil);
  }

  /**
   * Ends the account's streak and lock for clients without a device token
   * (`account` as `reserve` names it). After a password reset the guesses
   * were at a password that no longer exists, and the owner must be able to
   * sign in at once from anywhere. A known device's own streak is left: it
   * holds only that device's failures and locks nobody else.
   */
  unlockAccount(account: string): Promise<void> {
    return this.storage.forget(accountKey(account));
  }
}

const accountKey = (account: string) => `login-account:${account}`;
