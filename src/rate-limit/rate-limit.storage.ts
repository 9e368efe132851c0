import type { ThrottlerStorage } from '@nestjs/throttler';
import { createHash } from 'node:crypto';
import type { Clock } from '../common/clock.js';
import type { KeyValueStore } from '../redis/key-value-store.js';
import { AttemptRule, keepMs, lockAfter, Streak, unforgiven } from './attempt-streak.js';

export interface Reservation {
  allowed: boolean;
  /** Refused only: milliseconds until the lock ends. */
  retryAfterMs: number;
  /** Failures the streak counts, this attempt included (0 when refused). */
  failures: number;
  /** The lock this attempt set, should it fail (ms since the epoch; 0 for none). */
  lockedUntil: number;
}

/**
 * Two kinds of counter. `increment` serves `@nestjs/throttler` (fixed
 * windows; TTLs in milliseconds, times out in seconds, as it expects).
 * `reserve` counts a sign-in attempt before its password is checked, in one
 * atomic step, so concurrent attempts can never overshoot the allowance;
 * `release` gives a successful attempt back.
 */
export interface RateLimitStorage extends ThrottlerStorage {
  reserve(key: string, rule: AttemptRule): Promise<Reservation>;
  release(key: string, lockedUntil: number): Promise<void>;
  /** Ends a streak at once, lock and all (a password reset proved who owns the account). */
  forget(key: string): Promise<void>;
}

/** What `@nestjs/throttler` expects back from a count (its type is not exported on its own). */
type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

function record(hits: number, secondsLeft: number, limit: number): ThrottlerStorageRecord {
  const isBlocked = hits > limit;
  return {
    totalHits: hits,
    timeToExpire: secondsLeft,
    isBlocked,
    timeToBlockExpire: isBlocked ? secondsLeft : 0,
  };
}

// INCR and set the window on the first hit, atomically; returns hits and the window's remaining ms.
const INCREMENT = `
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { hits, ttl }`;

// MemoryRateLimitStorage.reserve (with lockAfter, unforgiven and keepMs) as one atomic step.
// ARGV: now, limit, lockMs, maxLockMs, forgiveMs.
const RESERVE = `
local now, limit, forgive = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[5])
local state = redis.call('HMGET', KEYS[1], 'failures', 'lockedUntil', 'lastAttemptAt')
local failures = tonumber(state[1]) or 0
local lockedUntil = tonumber(state[2]) or 0
if lockedUntil > now then return { 0, lockedUntil - now, 0, 0 } end
local quiet = math.max(0, now - math.max(tonumber(state[3]) or 0, lockedUntil))
failures = math.max(0, failures - math.floor(quiet / forgive) * limit) + 1
lockedUntil = 0
if failures % limit == 0 then
  lockedUntil = now + math.min(tonumber(ARGV[3]) * 2 ^ (failures / limit - 1), tonumber(ARGV[4]))
end
redis.call('HSET', KEYS[1], 'failures', failures, 'lockedUntil', lockedUntil, 'lastAttemptAt', now)
redis.call('PEXPIRE', KEYS[1], math.max(lockedUntil, now) - now + math.ceil(failures / limit) * forgive)
return { 1, 0, failures, lockedUntil }`;

// MemoryRateLimitStorage.release. ARGV[1]: the lock the attempt set (0: none).
const RELEASE = `
local state = redis.call('HMGET', KEYS[1], 'failures', 'lockedUntil')
if not state[1] then return 0 end
redis.call('HSET', KEYS[1], 'failures', math.max(tonumber(state[1]) - 1, 0))
local lock = tonumber(ARGV[1])
if lock > 0 and tonumber(state[2]) == lock then redis.call('HSET', KEYS[1], 'lockedUntil', 0) end
return 1`;

/**
 * Shared by every instance: the limits are global. Sign-in streaks keep
 * absolute times from the app's clock (instances keep their clocks in sync
 * anyway, or their tokens' `iat` and `exp` would disagree).
 */
const scriptShas = new Map<string, string>();

/** The SHA-1 Redis knows a script by, computed once per script. */
function scriptSha(script: string): string {
  let sha = scriptShas.get(script);
  if (!sha) {
    sha = createHash('sha1').update(script).digest('hex');
    scriptShas.set(script, sha);
  }
  return sha;
}

export class RedisRateLimitStorage implements RateLimitStorage {
  constructor(
    private readonly kv: KeyValueStore,
    private readonly prefix: string,
    private readonly clock: Clock,
  ) {}

  async increment(key: string, ttl: number, limit: number): Promise<ThrottlerStorageRecord> {
    const [hits, left] = await this.eval<[number, number]>(INCREMENT, key, [
      Math.max(1, Math.round(ttl)),
    ]);
    return record(hits, Math.ceil(left / 1000), limit);
  }

  async reserve(key: string, rule: AttemptRule): Promise<Reservation> {
    const [allowed, retryAfterMs, failures, lockedUntil] = await this.eval<number[]>(RESERVE, key, [
      this.clock.now(),
      rule.limit,
      rule.lockMs,
      rule.maxLockMs,
      rule.forgiveMs,
    ]);
    return { allowed: allowed === 1, retryAfterMs, failures, lockedUntil };
  }

  async release(key: string, lockedUntil: number): Promise<void> {
    await this.eval(RELEASE, key, [lockedUntil]);
  }

  async forget(key: string): Promise<void> {
    await this.kv.run(() => this.kv.client!.del(this.prefix + key));
  }

  /**
   * EVALSHA: the script's hash rather than its text on every request (the
   * text once more after Redis lost its script cache, answering NOSCRIPT).
   * The command is sent synchronously, so a caller can still pipeline
   * another one behind it on the same connection.
   */
  private eval<T>(script: string, key: string, args: number[]): Promise<T> {
    const options = { keys: [this.prefix + key], arguments: args.map(String) };
    return this.kv.run(async () => {
      const client = this.kv.client!;
      try {
        return (await client.evalSha(scriptSha(script), options)) as T;
      } catch (error) {
        if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
        return (await client.eval(script, options)) as T;
      }
    });
  }
}

/**
 * Embedded mode: one process, so in-memory maps are the whole truth. Each
 * method reads and writes its map without awaiting in between, so it is
 * atomic in this process just as the Lua scripts are in Redis.
 */
export class MemoryRateLimitStorage implements RateLimitStorage {
  private readonly windows = new Map<string, { hits: number; endsAt: number }>();
  private readonly streaks = new Map<string, Streak & { expiresAt: number }>();
  private readonly sweeper = setInterval(() => this.sweep(), 60_000).unref();

  constructor(private readonly clock: Clock) {}

  async increment(key: string, ttl: number, limit: number): Promise<ThrottlerStorageRecord> {
    const now = this.clock.now();
    let window = this.windows.get(key);
    if (!window || window.endsAt <= now) {
      window = { hits: 0, endsAt: now + ttl };
      this.windows.set(key, window);
    }
    window.hits += 1;
    return record(window.hits, Math.ceil((window.endsAt - now) / 1000), limit);
  }

  async reserve(key: string, rule: AttemptRule): Promise<Reservation> {
    const now = this.clock.now();
    const previous = this.streaks.get(key);
    if (previous && previous.lockedUntil > now) {
      const retryAfterMs = previous.lockedUntil - now;
      return { allowed: false, retryAfterMs, failures: 0, lockedUntil: 0 };
    }
    const failures = (previous ? unforgiven(previous, rule, now) : 0) + 1;
    const lock = lockAfter(failures, rule);
    const streak = { failures, lockedUntil: lock > 0 ? now + lock : 0, lastAttemptAt: now };
    this.streaks.set(key, { ...streak, expiresAt: now + keepMs(streak, rule, now) });
    return { allowed: true, retryAfterMs: 0, failures, lockedUntil: streak.lockedUntil };
  }

  async release(key: string, lockedUntil: number): Promise<void> {
    const streak = this.streaks.get(key);
    if (!streak) return;
    streak.failures = Math.max(streak.failures - 1, 0);
    if (lockedUntil > 0 && streak.lockedUntil === lockedUntil) streak.lockedUntil = 0;
  }

  async forget(key: string): Promise<void> {
    this.streaks.delete(key);
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
    for (const [key, streak] of this.streaks) if (streak.expiresAt <= now) this.streaks.delete(key);
  }
}
