import { Global, Injectable, Module } from '@nestjs/common';

/**
 * How far apart the clocks of the machines that handle one token may be: our
 * instances, Redis, and the services that verify our tokens offline. It is
 * the project's only clock allowance, and it covers exactly this:
 *
 * - an access token whose `iat` is up to this far in the future is accepted
 *   (the instance that issued it may run ahead of the one verifying it);
 * - blocklist entries, their database rows and retired signing keys outlive
 *   the tokens they cover by this much, so an instance or verifier whose
 *   clock lags still finds them while it sees the token as unexpired.
 *
 * It is never added to `exp` when this server verifies its own tokens: a
 * token is refused from the second its `exp` names.
 */
export const CLOCK_SKEW_SECONDS = 60;

/**
 * The current time. Token services read it from here rather than from
 * `Date.now()`, so that a test can move time instead of sleeping.
 */
@Injectable()
export class Clock {
  /** Milliseconds since the epoch. */
  now(): number {
    return Date.now();
  }

  /** Whole seconds since the epoch, as JWT times are written. */
  nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }
}

/** One clock for the whole app. */
@Global()
@Module({ providers: [Clock], exports: [Clock] })
export class ClockModule {}
