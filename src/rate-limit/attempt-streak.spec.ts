import { describe, expect, it } from 'vitest';
import { AttemptRule, lockAfter, unforgiven } from './attempt-streak.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** 3 attempts, then 1 min, doubling up to 5 min; each 10 quiet minutes forgive 3 failures. */
const RULE: AttemptRule = {
  limit: 3,
  lockMs: MINUTE,
  maxLockMs: 5 * MINUTE,
  forgiveMs: 10 * MINUTE,
};

describe(unforgiven.name, () => {
  const at = Date.UTC(2030, 0, 1);

  it.each([
    [0, 7],
    [RULE.forgiveMs - 1, 7],
    [RULE.forgiveMs, 4],
    [2 * RULE.forgiveMs, 1],
    [5 * RULE.forgiveMs, 0],
  ])('counts a streak of 7 failures, quiet for %i ms, as %i', (quiet, left) => {
    const streak = { failures: 7, lockedUntil: 0, lastAttemptAt: at };

    expect(unforgiven(streak, RULE, at + quiet)).toBe(left);
  });

  it('counts the quiet from the end of a lock, and never from the future', () => {
    const locked = { failures: 6, lockedUntil: at + MINUTE, lastAttemptAt: at };

    expect(unforgiven(locked, RULE, at + RULE.forgiveMs)).toBe(6);
    expect(unforgiven(locked, RULE, at + MINUTE + RULE.forgiveMs)).toBe(3);
    // Another instance's clock a little ahead: no quiet yet, rather than a negative one.
    expect(
      unforgiven({ failures: 6, lockedUntil: 0, lastAttemptAt: at + 5 * SECOND }, RULE, at),
    ).toBe(6);
  });
});

describe(lockAfter.name, () => {
  it('locks after every `limit` failures, doubling from lockMs up to maxLockMs', () => {
    const locks = Array.from({ length: 15 }, (_, i) => lockAfter(i + 1, RULE));

    expect(locks).toEqual([
      0,
      0,
      MINUTE,
      0,
      0,
      2 * MINUTE,
      0,
      0,
      4 * MINUTE,
      0,
      0,
      5 * MINUTE,
      0,
      0,
      5 * MINUTE,
    ]);
  });
});
