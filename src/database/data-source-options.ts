import type { DataSourceOptions } from 'typeorm';
import { migrations } from '../../migrations/index.js';
import type { DatabaseSettings } from '../config/config.js';
import { entities } from './entities.js';

/** The one definition of the TypeORM options, used by the app and by the CLI. */
export function dataSourceOptions(settings: DatabaseSettings, url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    schema: settings.schema,
    entities,
    migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    // gen_random_uuid() is built into PostgreSQL 13+, so no extension is needed.
    installExtensions: false,
    uuidExtension: 'pgcrypto',
    // Query logging would print parameters (hashes, tokens); errors are logged by our filter.
    logging: false,
    poolSize: settings.poolSize,
    extra: {
      max: settings.poolSize,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      ...(settings.schema ? { options: `-c search_path=${settings.schema}` } : {}),
    },
  };
}
