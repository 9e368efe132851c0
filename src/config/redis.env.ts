import { IsUrlWith, IsWholeNumber, wholeNumber } from './env.js';

export interface RedisSettings {
  /** `undefined` means the in-process stores. */
  url: string | undefined;
  keyPrefix: string;
  /**
   * Most entries the in-process blocklist holds (no REDIS_URL). Entries
   * leave only when they expire; when it is full, revocation checks also
   * read the database.
   */
  inProcessMaxEntries: number;
}

/** Redis (the blocklist and the rate-limit counters), or the in-process stores. */
export class RedisEnv {
  @IsUrlWith('redis:', 'rediss:')
  REDIS_URL?: string;

  REDIS_KEY_PREFIX?: string;

  @IsWholeNumber(1, 100_000_000)
  BLOCKLIST_MAX_ENTRIES?: string;
}

export function redisSettings(env: RedisEnv): RedisSettings {
  return {
    url: env.REDIS_URL,
    keyPrefix: env.REDIS_KEY_PREFIX ?? 'auth:',
    inProcessMaxEntries: wholeNumber(env.BLOCKLIST_MAX_ENTRIES, 100_000),
  };
}
