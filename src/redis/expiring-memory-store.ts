import type { Milliseconds, Store } from 'cache-manager';

/** How often, at most, expired entries are swept out while writes keep coming. */
const SWEEP_INTERVAL_MS = 60_000;
/** How often, at most, a full store looks for expired entries before refusing a write. */
const FULL_SWEEP_INTERVAL_MS = 1_000;

/** The store holds `capacity` live entries: the write was refused, nothing was dropped. */
export class StoreFullError extends Error {
  constructor(capacity: number) {
    super(`the in-process store is full (${capacity} live entries)`);
    this.name = 'StoreFullError';
  }
}

interface Entry {
  value: unknown;
  /** Milliseconds since the epoch; `Infinity` for an entry without a TTL. */
  expiresAt: number;
}

/**
 * The in-process stand-in for Redis (no REDIS_URL), with Redis's
 * `noeviction` semantics rather than a cache's: an entry leaves only when its
 * TTL is up, never to make room, because a forgotten blocklist entry would
 * bring a revoked token back. When `capacity` live entries are held, a write
 * of a new key throws `StoreFullError` and the caller decides what to do
 * instead. Expired entries are swept out as writes come in, so no timer
 * runs per entry.
 */
export class ExpiringMemoryStore implements Store {
  private readonly entries = new Map<string, Entry>();
  private lastSweep = Date.now();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  async get<T>(key: string): Promise<T | undefined> {
    return this.read(key, Date.now()) as T | undefined;
  }

  async mget(...keys: string[]): Promise<unknown[]> {
    const now = Date.now();
    return keys.map((key) => this.read(key, now));
  }

  async set<T>(key: string, value: T, ttl?: Milliseconds): Promise<void> {
    this.write(key, value, ttl, Date.now());
  }

  /** Writes in order; a full store refuses the first new key that does not fit, and the rest. */
  async mset(entries: Array<[string, unknown]>, ttl?: Milliseconds): Promise<void> {
    const now = Date.now();
    for (const [key, value] of entries) this.write(key, value, ttl, now);
  }

  async del(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async mdel(...keys: string[]): Promise<void> {
    for (const key of keys) this.entries.delete(key);
  }

  async reset(): Promise<void> {
    this.entries.clear();
  }

  /** Live keys matching a Redis-style glob (`*` only). */
  async keys(pattern = '*'): Promise<string[]> {
    const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
    const matcher = new RegExp(`^${escaped}$`);
    const now = Date.now();
    return [...this.entries.keys()].filter(
      (key) => this.read(key, now) !== undefined && matcher.test(key),
    );
  }

  /** Milliseconds left, -1 without a TTL, -2 for a missing key (as Redis's PTTL). */
  async ttl(key: string): Promise<number> {
    const now = Date.now();
    if (this.read(key, now) === undefined) return -2;
    const { expiresAt } = this.entries.get(key)!;
    return expiresAt === Infinity ? -1 : expiresAt - now;
  }

  private read(key: string, now: number): unknown {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  private write(key: string, value: unknown, ttl: Milliseconds | undefined, now: number): void {
    const expiresAt = ttl && ttl > 0 ? now + ttl : Infinity;
    if (!this.entries.has(key)) this.makeRoom(now);
    this.entries.set(key, { value, expiresAt });
  }

  private makeRoom(now: number): void {
    const full = this.entries.size >= this.capacity;
    const due = now - this.lastSweep >= (full ? FULL_SWEEP_INTERVAL_MS : SWEEP_INTERVAL_MS);
    if (due) this.sweep(now);
    if (this.entries.size >= this.capacity) throw new StoreFullError(this.capacity);
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}
