/**
 * How many failed sign-ins a streak may have: `limit` attempts, then a lock
 * of `lockMs`; every `limit` further failures double the lock, up to
 * `maxLockMs`. Each `forgiveMs` without an attempt (once any lock is over)
 * forgives one step of `limit` failures.
 */
export interface AttemptRule {
  limit: number;
  lockMs: number;
  maxLockMs: number;
  forgiveMs: number;
}

/** A streak of failed attempts; times in ms since the epoch. */
export interface Streak {
  failures: number;
  lockedUntil: number;
  lastAttemptAt: number;
}

/** The lock that the `failures`-th failure of a streak sets (0: none yet). */
export function lockAfter(failures: number, rule: AttemptRule): number {
  if (failures % rule.limit !== 0) return 0;
  return Math.min(rule.lockMs * 2 ** (failures / rule.limit - 1), rule.maxLockMs);
}

/**
 * The failures a streak still counts at `now`. Forgiving one step per quiet
 * `forgiveMs`, rather than forgetting a streak after a while, means pausing
 * never pays: a guesser who waits a day gets back one step, which the
 * longest lock (a day by default) would have allowed anyway.
 */
export function unforgiven(streak: Streak, rule: AttemptRule, now: number): number {
  const quiet = Math.max(0, now - Math.max(streak.lastAttemptAt, streak.lockedUntil));
  return Math.max(0, streak.failures - Math.floor(quiet / rule.forgiveMs) * rule.limit);
}

/** How long a streak must be kept after `now`: until its lock is over and every step forgiven. */
export function keepMs(streak: Streak, rule: AttemptRule, now: number): number {
  const quietFrom = Math.max(streak.lockedUntil, now);
  return quietFrom - now + Math.ceil(streak.failures / rule.limit) * rule.forgiveMs;
}
