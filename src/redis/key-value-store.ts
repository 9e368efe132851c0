import { createClient } from '@redis/client';
import type { Store } from 'cache-manager';
import { redisInsStore, RedisStore } from 'cache-manager-redis-yet';
import { DependencyUnavailableError } from '../common/errors.js';
import { ExpiringMemoryStore, StoreFullError } from './expiring-memory-store.js';

export type RedisClient = RedisStore['client'];

/** A store call that takes longer than this fails, so that a hung Redis fails closed quickly. */
export const STORE_TIMEOUT_MS = 1_000;

/**
 * The shared key-value store: Redis through `cache-manager-redis-yet` when
 * REDIS_URL is set, an `ExpiringMemoryStore` otherwise (entries expire by
 * time only, never evicted). The blocklist uses the store; the rate limiter
 * uses the Redis client, or its own in-process counters.
 */
export class KeyValueStore {
  private constructor(
    readonly store: Store,
    /** The node-redis client (for Lua scripts and health); null in the in-process mode. */
    readonly client: RedisClient | null,
  ) {}

  static inProcess(maxEntries: number): KeyValueStore {
    return new KeyValueStore(new ExpiringMemoryStore(maxEntries), null);
  }

  /**
   * Connects in the background: the app starts (and reports not ready) while
   * Redis is down, and commands fail at once instead of queueing until it returns.
   */
  static redis(url: string, onError: (error: Error) => void): KeyValueStore {
    const client = createClient({
      url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: 2_000,
        reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2_000),
      },
    }) as unknown as RedisClient;
    client.on('error', onError);
    void client.connect().catch(onError);
    return new KeyValueStore(redisInsStore(client), client);
  }

  get mode(): 'redis' | 'memory' {
    return this.client ? 'redis' : 'memory';
  }

  /**
   * Fails (rather than waits) when the store cannot answer in time. A full
   * in-process store's `StoreFullError` passes through as it is: the store
   * answered, and the caller has its own way round it.
   */
  async run<T>(operation: (store: Store) => Promise<T>): Promise<T> {
    if (this.client && !this.client.isReady)
      throw new StoreUnavailableError('Redis is not connected');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StoreUnavailableError('Redis did not answer in time')),
        STORE_TIMEOUT_MS,
      );
    });
    try {
      return await Promise.race([operation(this.store), timeout]);
    } catch (error) {
      if (error instanceof StoreUnavailableError || error instanceof StoreFullError) throw error;
      throw new StoreUnavailableError((error as Error).message);
    } finally {
      clearTimeout(timer);
    }
  }

  async ping(): Promise<void> {
    if (!this.client) return;
    await this.run(() => this.client!.ping());
  }

  async close(): Promise<void> {
    if (this.client?.isOpen) await this.client.quit().catch(() => this.client!.disconnect());
  }
}

/** The store could not answer in time (Redis down, hung or not yet connected): fail closed. */
export class StoreUnavailableError extends DependencyUnavailableError {
  constructor(reason: string) {
    super('A required service is unavailable; try again shortly', reason);
    this.name = 'StoreUnavailableError';
  }
}
