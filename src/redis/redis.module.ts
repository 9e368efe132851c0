import { Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import type { Config } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { KeyValueStore } from './key-value-store.js';

export const KEY_VALUE_STORE = Symbol('KEY_VALUE_STORE');
export const InjectKeyValueStore = () => Inject(KEY_VALUE_STORE);

const logger = new Logger('Redis');

/** The shared key-value store (`KeyValueStore`): Redis with REDIS_URL, in-process otherwise. */
@Module({
  providers: [
    {
      provide: KEY_VALUE_STORE,
      inject: [CONFIG],
      useFactory: (config: Config) => {
        if (!config.redis.url) return KeyValueStore.inProcess(config.redis.inProcessMaxEntries);
        let lastError = '';
        // node-redis reports every failed reconnect; log each distinct failure once.
        return KeyValueStore.redis(config.redis.url, (error) => {
          if (error.message === lastError) return;
          lastError = error.message;
          logger.warn(`Redis connection problem: ${error.message}`);
        });
      },
    },
  ],
  exports: [KEY_VALUE_STORE],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(KEY_VALUE_STORE) private readonly store: KeyValueStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
