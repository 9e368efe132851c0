import { Matches } from 'class-validator';
import { IsUrlWith, IsWholeNumber, wholeNumber } from './env.js';

export interface DatabaseSettings {
  /** `undefined` means the embedded PostgreSQL under `dataDir`. */
  url: string | undefined;
  /** Schema to work in; lets several test suites share one database without sharing rows. */
  schema: string | undefined;
  poolSize: number;
}

/** PostgreSQL: a real server, or the embedded one. */
export class DatabaseEnv {
  @IsUrlWith('postgres:', 'postgresql:')
  DATABASE_URL?: string;

  @Matches(/^[a-z_][a-z0-9_]{0,62}$/, {
    message: 'DATABASE_SCHEMA must be a lower-case SQL identifier',
  })
  DATABASE_SCHEMA?: string;

  @IsWholeNumber(1, 200)
  DATABASE_POOL_SIZE?: string;
}

export function databaseSettings(env: DatabaseEnv): DatabaseSettings {
  return {
    url: env.DATABASE_URL,
    schema: env.DATABASE_SCHEMA,
    poolSize: wholeNumber(env.DATABASE_POOL_SIZE, 10),
  };
}
