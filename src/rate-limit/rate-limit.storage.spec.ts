import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KeyValueStore } from '../redis/key-value-store.js';
import { FakeClock, MINUTE, ATTEMPT_RULE, SECOND } from '../../test/support/unit.js';
import {
  MemoryRateLimitStorage,
  RateLimitStorage,
  RedisRateLimitStorage,
  Reservation,
} from './rate-limit.storage.js';

/** The same rules, whichever store keeps the count. */
function describeCountingRules(
  name: string,
  make: (clock: FakeClock) => Promise<{ sut: RateLimitStorage; close(): Promise<void> }>,
) {
  describe(name, () => {
    let clock: FakeClock;
    let sut: RateLimitStorage;
    let close: () => Promise<void>;
    let key: string;
    beforeEach(async () => {
      clock = new FakeClock();
      ({ sut, close } = await make(clock));
      key = `streak-${randomBytes(4).toString('hex')}`;
      return () => close();
    });

    /** Reserves (and so fails) `count` attempts in a row; returns the last reservation. */
    const fail = async (count: number): Promise<Reservation> => {
      let last = await sut.reserve(key, ATTEMPT_RULE);
      for (let i = 1; i < count; i++) last = await sut.reserve(key, ATTEMPT_RULE);
      return last;
    };

    it('lets `limit` attempts through, the last of them setting the first lock, and refuses the next', async () => {
      const first = await sut.reserve(key, ATTEMPT_RULE);
      const third = await fail(2);
      const fourth = await sut.reserve(key, ATTEMPT_RULE);

      expect(first).toMatchObject({ allowed: true, failures: 1, lockedUntil: 0 });
      expect(third).toMatchObject({
        allowed: true,
        failures: 3,
        lockedUntil: clock.now() + MINUTE,
      });
      expect(fourth).toEqual({ allowed: false, retryAfterMs: MINUTE, failures: 0, lockedUntil: 0 });
    });

    it('doubles the lock with every `limit` further failures, up to the cap', async () => {
      const retryAfter: number[] = [];
      for (let round = 0; round < 5; round++) {
        await fail(ATTEMPT_RULE.limit);
        const refused = await sut.reserve(key, ATTEMPT_RULE);
        retryAfter.push(refused.retryAfterMs);
        clock.advance(refused.retryAfterMs);
      }

      expect(retryAfter).toEqual([MINUTE, 2 * MINUTE, 4 * MINUTE, 5 * MINUTE, 5 * MINUTE]);
    });

    it('counts refused attempts as nothing: the lock does not grow while it lasts', async () => {
      await fail(ATTEMPT_RULE.limit);
      for (let i = 0; i < 10; i++) await sut.reserve(key, ATTEMPT_RULE);
      clock.advance(MINUTE);

      expect(await fail(ATTEMPT_RULE.limit - 1)).toMatchObject({ allowed: true, lockedUntil: 0 });
    });

    it('gives a released attempt back, so successes never use up the allowance', async () => {
      await fail(ATTEMPT_RULE.limit - 1);
      for (let i = 0; i < 10; i++) {
        const success = await sut.reserve(key, ATTEMPT_RULE);
        await sut.release(key, success.lockedUntil);
      }

      expect(await sut.reserve(key, ATTEMPT_RULE)).toMatchObject({
        allowed: true,
        failures: ATTEMPT_RULE.limit,
      });
    });

    it('lifts the lock that a released attempt had set', async () => {
      await fail(ATTEMPT_RULE.limit - 1);
      const success = await sut.reserve(key, ATTEMPT_RULE);
      expect(success.lockedUntil).toBeGreaterThan(0);

      await sut.release(key, success.lockedUntil);

      expect((await sut.reserve(key, ATTEMPT_RULE)).allowed).toBe(true);
    });

    it('keeps a lock that another attempt set when an earlier one is released', async () => {
      const success = await sut.reserve(key, ATTEMPT_RULE);
      await fail(ATTEMPT_RULE.limit - 1);

      await sut.release(key, success.lockedUntil);

      expect(await sut.reserve(key, ATTEMPT_RULE)).toMatchObject({
        allowed: false,
        retryAfterMs: MINUTE,
      });
    });

    it('forgets a streak at once, lock and all, and leaves other streaks alone', async () => {
      const other = `${key}-other`;
      await fail(ATTEMPT_RULE.limit);
      await sut.reserve(other, ATTEMPT_RULE);

      await sut.forget(key);

      expect(await sut.reserve(key, ATTEMPT_RULE)).toMatchObject({ allowed: true, failures: 1 });
      expect(await sut.reserve(other, ATTEMPT_RULE)).toMatchObject({ allowed: true, failures: 2 });
    });

    it('forgives one step of failures per quiet forgiveMs, counted from the end of the lock', async () => {
      await fail(ATTEMPT_RULE.limit);
      clock.advance(MINUTE + ATTEMPT_RULE.forgiveMs - SECOND);
      expect((await fail(ATTEMPT_RULE.limit)).lockedUntil - clock.now()).toBe(2 * MINUTE);

      clock.advance(2 * MINUTE + ATTEMPT_RULE.forgiveMs);
      expect((await fail(ATTEMPT_RULE.limit)).lockedUntil - clock.now()).toBe(2 * MINUTE);

      clock.advance(2 * MINUTE + 2 * ATTEMPT_RULE.forgiveMs);
      expect((await fail(ATTEMPT_RULE.limit)).lockedUntil - clock.now()).toBe(MINUTE);
    });

    it('keeps streaks apart by key', async () => {
      await fail(ATTEMPT_RULE.limit);

      expect((await sut.reserve(`${key}-other`, ATTEMPT_RULE)).allowed).toBe(true);
    });

    it('lets exactly `limit` of 40 concurrent attempts through', async () => {
      const results = await Promise.all(
        Array.from({ length: 40 }, () => sut.reserve(key, ATTEMPT_RULE)),
      );

      expect(results.filter((result) => result.allowed)).toHaveLength(ATTEMPT_RULE.limit);
      expect(
        results.filter((result) => !result.allowed && result.retryAfterMs === MINUTE),
      ).toHaveLength(40 - ATTEMPT_RULE.limit);
    });
  });
}

describeCountingRules(MemoryRateLimitStorage.name, async (clock) => {
  const sut = new MemoryRateLimitStorage(clock);
  return { sut, close: async () => sut.close() };
});

describe.runIf(process.env.REDIS_URL)('on Redis', () => {
  let kv: KeyValueStore;
  const prefix = `test:${randomBytes(5).toString('hex')}:rl:`;
  beforeAll(async () => {
    kv = KeyValueStore.redis(process.env.REDIS_URL!, () => undefined);
    while (!kv.client!.isReady) await new Promise((resolve) => setImmediate(resolve));
  });
  afterAll(async () => {
    const keys = await kv.client!.keys(`${prefix}*`);
    if (keys.length > 0) await kv.client!.del(keys);
    await kv.close();
  });

  describeCountingRules(RedisRateLimitStorage.name, async (clock) => ({
    sut: new RedisRateLimitStorage(kv, prefix, clock),
    close: async () => undefined,
  }));

  it('sends the scripts by hash, and by text again once Redis has lost them (NOSCRIPT)', async () => {
    const sut = new RedisRateLimitStorage(kv, prefix, new FakeClock());
    const key = `flush:${randomBytes(4).toString('hex')}`;
    await sut.increment(key, 60_000, 5);
    await kv.client!.scriptFlush();

    const record = await sut.increment(key, 60_000, 5);

    expect(record.totalHits).toBe(2);
    expect((await sut.increment(key, 60_000, 5)).totalHits).toBe(3);
  });
});
