import { describe, expect, it } from 'vitest';
import { MINUTE, ATTEMPT_RULE, SECOND } from '../../test/support/unit.js';
import { lockAfter, unforgiven } from './attempt-streak.js';

describe(unforgiven.name, () => {
  const at = Date.UTC(2030, 0, 1);

  it.each([
    [0, 7],
    [ATTEMPT_RULE.forgiveMs - 1, 7],
    [ATTEMPT_RULE.forgiveMs, 4],
    [2 * ATTEMPT_RULE.forgiveMs, 1],
    [5 * ATTEMPT_RULE.forgiveMs, 0],
  ])('counts a streak of 7 failures, quiet for %i ms, as %i', (quiet, left) => {
    const streak = { failures: 7, lockedUntil: 0, lastAttemptAt: at };

    expect(unforgiven(streak, ATTEMPT_RULE, at + quiet)).toBe(left);
  });

  it('counts the quiet from the end of a lock, and never from the future', () => {
    const locked = { failures: 6, lockedUntil: at + MINUTE, lastAttemptAt: at };

    expect(unforgiven(locked, ATTEMPT_RULE, at + ATTEMPT_RULE.forgiveMs)).toBe(6);
    expect(unforgiven(locked, ATTEMPT_RULE, at + MINUTE + ATTEMPT_RULE.forgiveMs)).toBe(3);
    // Another instance's clock a little ahead: no quiet yet, rather than a negative one.
    expect(
      unforgiven({ failures: 6, lockedUntil: 0, lastAttemptAt: at + 5 * SECOND }, ATTEMPT_RULE, at),
    ).toBe(6);
  });
});

describe(lockAfter.name, () => {
  it('locks after every `limit` failures, doubling from lockMs up to maxLockMs', () => {
    const locks = Array.from({ length: 15 }, (_, i) => lockAfter(i + 1, ATTEMPT_RULE));

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
