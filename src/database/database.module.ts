import { DynamicModule, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, DataSourceOptions } from 'typeorm';
import type { Config } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { dataSourceOptions } from './data-source-options.js';
import { EmbeddedPostgres } from './embedded-postgres.js';
import { runMigrationsLocked } from './migrate.js';

const EMBEDDED_POSTGRES = Symbol('EMBEDDED_POSTGRES');
const logger = new Logger('Database');

export class PendingMigrationsError extends Error {
  constructor() {
    super('The database has pending migrations: run `npm run migration:run` first');
    this.name = 'PendingMigrationsError';
  }
}

/**
 * Starts the embedded server when there is no DATABASE_URL. TypeORM's module
 * imports this one, so Nest shuts it down after the connection pool closes.
 */
@Module({
  providers: [
    {
      provide: EMBEDDED_POSTGRES,
      inject: [CONFIG],
      useFactory: (config: Config) =>
        config.database.url ? null : EmbeddedPostgres.start(config.app.dataDir),
    },
  ],
  exports: [EMBEDDED_POSTGRES],
})
class EmbeddedPostgresModule implements OnApplicationShutdown {
  constructor(@Inject(EMBEDDED_POSTGRES) private readonly embedded: EmbeddedPostgres | null) {}

  async onApplicationShutdown(): Promise<void> {
    await this.embedded?.stop();
  }
}

/** Retry an unreachable server at start, but not a schema that needs an operator. */
const RETRY = {
  retryAttempts: 5,
  retryDelay: 2_000,
  toRetry: (error: unknown) => !(error instanceof PendingMigrationsError),
};

/** The options for the configured server, or for the embedded one (which takes one connection). */
function connectionOptions(config: Config, embedded: EmbeddedPostgres | null): DataSourceOptions {
  if (!embedded) return dataSourceOptions(config.database, config.database.url!);
  const poolSize = Math.min(config.database.poolSize, EmbeddedPostgres.maxConnections);
  return dataSourceOptions({ ...config.database, poolSize }, embedded.url);
}

/**
 * Connects, creates the configured schema, and brings it up to date: in
 * development and tests migrations run at start (under a lock, so instances
 * starting together migrate once); in production they are only checked,
 * since migrating is an explicit step there (`npm run migration:run`).
 */
async function connect(config: Config, options: DataSourceOptions): Promise<DataSource> {
  const dataSource = await new DataSource(options).initialize();
  if (config.database.schema) {
    await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${config.database.schema}"`);
  }
  if (!config.app.production) {
    await runMigrationsLocked(dataSource);
  } else if (await dataSource.showMigrations()) {
    await dataSource.destroy();
    throw new PendingMigrationsError();
  } else {
    logger.log('database schema is up to date');
  }
  return dataSource;
}

/**
 * The connection pool, to the configured PostgreSQL or the embedded one,
 * with migrations applied (`connect`) before anything can use it.
 */
@Module({})
export class DatabaseModule {
  static forRoot(config: Config): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          imports: [EmbeddedPostgresModule],
          inject: [EMBEDDED_POSTGRES],
          useFactory: (embedded: EmbeddedPostgres | null) => ({
            ...connectionOptions(config, embedded),
            ...RETRY,
          }),
          dataSourceFactory: (options) => connect(config, options!),
        }),
      ],
    };
  }
}
