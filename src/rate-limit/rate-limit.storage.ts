import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface.js';
import type { KeyValueStore } from '../redis/key-value-store.js';

export interface CounterState {
  hits: number;
  /** Seconds until the window ends (0 when there is no window). */
  secondsLeft: number;
}

/**
 * Fixed-window counters. `increment` serves `@nestjs/throttler`; `peek`
 * reads a counter without counting (the per-account login lock checks before
 * it knows whether the attempt fails). TTLs go in as milliseconds, times
 * come out in seconds, as the throttler expects.
 */
export interface RateLimitStorage extends ThrottlerStorage {
  peek(key: string): Promise<CounterState>;
  add(key: string, ttlMs: number): Promise<CounterState>;
}

function record(state: CounterState, limit: number): ThrottlerStorageRecord {
  const isBlocked = state.hits > limit;
  return {
    totalHits: state.hits,
    timeToExpire: state.secondsLeft,
    isBlocked,
    timeToBlockExpire: isBlocked ? state.secondsLeft : 0,
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

/** Shared by every instance: the limits are global. */
export class RedisRateLimitStorage implements RateLimitStorage {
  constructor(
    private readonly kv: KeyValueStore,
    private readonly prefix: string,
  ) {}

  async increment(key: string, ttl: number, limit: number): Promise<ThrottlerStorageRecord> {
    return record(await this.add(key, ttl), limit);
  }

  async add(key: string, ttlMs: number): Promise<CounterState> {
    const [hits, ttl] = (await this.kv.run(() =>
      this.kv.client!.eval(INCREMENT, {
        keys: [this.prefix + key],
        arguments: [String(Math.max(1, Math.round(ttlMs)))],
      }),
    )) as [number, number];
    return { hits, secondsLeft: Math.ceil(ttl / 1000) };
  }

  async peek(key: string): Promise<CounterState> {
    const full = this.prefix + key;
    const [hits, ttl] = await this.kv.run(() =>
      Promise.all([this.kv.client!.get(full), this.kv.client!.pTTL(full)]),
    );
    return { hits: Number(hits ?? 0), secondsLeft: ttl > 0 ? Math.ceil(ttl / 1000) : 0 };
  }
}

/** Embedded mode: one process, so an in-memory map is the whole truth. */
export class MemoryRateLimitStorage implements RateLimitStorage {
  private readonly windows = new Map<string, { hits: number; endsAt: number }>();
  private readonly sweeper = setInterval(() => this.sweep(), 60_000).unref();

  async increment(key: string, ttl: number, limit: number): Promise<ThrottlerStorageRecord> {
    return record(await this.add(key, ttl), limit);
  }

  async add(key: string, ttlMs: number): Promise<CounterState> {
    const now = Date.now();
    let window = this.windows.get(key);
    if (!window || window.endsAt <= now) {
      window = { hits: 0, endsAt: now + ttlMs };
      this.windows.set(key, window);
    }
    window.hits += 1;
    return { hits: window.hits, secondsLeft: Math.ceil((window.endsAt - now) / 1000) };
  }

  async peek(key: string): Promise<CounterState> {
    const now = Date.now();
    const window = this.windows.get(key);
    if (!window || window.endsAt <= now) return { hits: 0, secondsLeft: 0 };
    return { hits: window.hits, secondsLeft: Math.ceil((window.endsAt - now) / 1000) };
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
  }
}
