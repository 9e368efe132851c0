import { describe, expect, it } from 'vitest';
import { FIRST_RETRY_MS, MAX_RETRY_MS, retryDelayMs } from './retry-delay.js';

/** The largest jitter: `Math.random()` is below 1. */
const ALMOST_ONE = 1 - 1e-9;

describe('retryDelayMs', () => {
  it('doubles from the first step with each failed attempt', () => {
    expect([1, 2, 3, 4].map((attempts) => retryDelayMs(attempts, ALMOST_ONE))).toEqual([
      FIRST_RETRY_MS,
      2 * FIRST_RETRY_MS,
      4 * FIRST_RETRY_MS,
      8 * FIRST_RETRY_MS,
    ]);
  });

  it('jitters between half and all of the step', () => {
    expect(retryDelayMs(3, 0)).toBe(2 * FIRST_RETRY_MS);
    expect(retryDelayMs(3, 0.5)).toBe(3 * FIRST_RETRY_MS);
  });

  it('never waits longer than the cap, however many attempts failed', () => {
    expect(retryDelayMs(20, ALMOST_ONE)).toBe(MAX_RETRY_MS);
    expect(retryDelayMs(10_000, ALMOST_ONE)).toBe(MAX_RETRY_MS);
    expect(retryDelayMs(10_000, 0)).toBe(MAX_RETRY_MS / 2);
  });
});
