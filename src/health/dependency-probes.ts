import { Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { MetricsService } from '../metrics/metrics.service.js';
import type { KeyValueStore } from '../redis/key-value-store.js';
import { InjectKeyValueStore } from '../redis/redis.module.js';

/**
 * The state of the connections to PostgreSQL and Redis, for `/metrics`: read
 * at scrape time from the `pg` pool and the Redis client, never counted on a
 * request's path.
 */
@Injectable()
export class DependencyProbes {
  constructor(
    dataSource: DataSource,
    @InjectKeyValueStore() kv: KeyValueStore,
    metrics: MetricsService,
  ) {
    // TypeORM's postgres driver keeps its `pg` pool as `master` (typed `any`).
    const pool = (): Pool | undefined => Reflect.get(dataSource.driver, 'master');
    metrics.probe('databasePool', () => ({
      total: pool()?.totalCount ?? 0,
      idle: pool()?.idleCount ?? 0,
      waiting: pool()?.waitingCount ?? 0,
    }));
    metrics.probe('redisReady', () => (kv.client ? kv.client.isReady : null));
  }
}
