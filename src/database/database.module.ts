import { DynamicModule, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Config } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { dataSourceOptions } from './data-source-options.js';
import { EmbeddedPostgres } from './embedded-postgres.js';
import { runMigrationsLocked } from './migrate.js';

const EMBEDDED_POSTGRES = Symbol('EMBEDDED_POSTGRES');

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

/**
 * The connection pool, with migrations applied before anything can use it:
 * in development and tests at start (under a lock, so instances starting
 * together migrate once); in production only checked, since migrating is an
 * explicit step there (`npm run migration:run`).
 */
@Module({})
export class DatabaseModule {
  static forRoot(config: Config): DynamicModule {
    const logger = new Logger('Database');
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          imports: [EmbeddedPostgresModule],
          inject: [EMBEDDED_POSTGRES],
          useFactory: (embedded: EmbeddedPostgres | null) => {
            // Retry an unreachable server at start, but not a schema that needs an operator.
            const retry = {
              retryAttempts: 5,
              retryDelay: 2_000,
              toRetry: (error: unknown) => !(error instanceof PendingMigrationsError),
            };
            if (!embedded)
              return { ...dataSourceOptions(config.database, config.database.url!), ...retry };
            const poolSize = Math.min(config.database.poolSize, EmbeddedPostgres.maxConnections);
            return {
              ...dataSourceOptions({ ...config.database, poolSize }, embedded.url),
              ...retry,
            };
          },
          dataSourceFactory: async (options) => {
            const dataSource = await new DataSource(options!).initialize();
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
          },
        }),
      ],
    };
  }
}
