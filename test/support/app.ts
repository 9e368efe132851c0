import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createClient } from '@redis/client';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { DestinationStream } from 'pino';
import supertest from 'supertest';
import { createApp } from '../../src/app.factory.js';
import { loadConfig } from '../../src/config/config.js';

export const ADMIN = {
  email: 'root@test.local',
  username: 'root',
  password: 'admin-password-for-tests',
};

/** Real services when the environment names them (CI's second run), embedded otherwise. */
export const realServices = {
  databaseUrl: process.env.DATABASE_URL || undefined,
  redisUrl: process.env.REDIS_URL || undefined,
};

/** Environment variables, as the app reads them. */
export type Env = Record<string, string | undefined>;

/** A booted app and what a test talks to it with. */
export interface RunningApp {
  app: NestFastifyApplication;
  http: ReturnType<typeof supertest>;
  env: Env;
}

export interface TestApp extends RunningApp {
  /** Closes the app and removes what it made (see `cleanUpTestApp`). */
  close(): Promise<void>;
}

export interface StartOptions {
  env?: Env;
  /** Share the database schema / key prefix of another instance (scale-out tests). */
  shareWith?: Pick<RunningApp, 'env'>;
  /** Where the app writes its log; without one it logs nothing (unless TEST_LOGS is set). */
  logDestination?: DestinationStream;
}

/**
 * Boots the whole app in-process. On a real PostgreSQL each app gets its own
 * schema (and Redis key prefix), so test files running side by side never
 * see each other's rows; embedded runs get their own data folder.
 * Specs use `useTestApp()` (test/support/test-app.ts), which builds on this.
 */
export async function startApp(options: StartOptions = {}): Promise<TestApp> {
  const env = { ...(await testEnvironment(options.shareWith?.env)), ...options.env };
  const app = await createApp(loadConfig(env), {
    logLevels: options.logDestination || process.env.TEST_LOGS ? undefined : false,
    logDestination: options.logDestination,
  });
  return testApp(app, env, { ownsData: !options.shareWith });
}

/** A booted app with its HTTP client and its clean-up. */
export function testApp(
  app: NestFastifyApplication,
  env: Env,
  { ownsData }: { ownsData: boolean },
): TestApp {
  return {
    app,
    http: supertest(app.getHttpServer()),
    env,
    close: () => cleanUpTestApp(app, env, { ownsData }),
  };
}

/**
 * The one clean-up of every test app: closes it (unless it is closed
 * already), then, if the data is its own rather than shared with another
 * instance, removes everything its environment names: the schema on a real
 * PostgreSQL, the data folder, and the Redis keys under its prefix.
 */
export async function cleanUpTestApp(
  app: NestFastifyApplication | null,
  env: Env,
  { ownsData }: { ownsData: boolean },
): Promise<void> {
  try {
    await app?.close();
  } finally {
    if (ownsData) await removeTestData(env);
  }
}

async function removeTestData(env: Env): Promise<void> {
  if (env.DATABASE_URL && env.DATABASE_SCHEMA)
    await dropSchema(env.DATABASE_URL, env.DATABASE_SCHEMA);
  if (env.REDIS_URL && env.REDIS_KEY_PREFIX) await deleteKeys(env.REDIS_URL, env.REDIS_KEY_PREFIX);
  if (env.DATA_DIR) await rm(env.DATA_DIR, { recursive: true, force: true });
}

/**
 * The environment of a test app: a data folder, schema and Redis key prefix
 * of its own (or those of `shared`), fixed keys and issuer, and the first admin.
 */
export async function testEnvironment(shared?: Env): Promise<Env> {
  const id = randomBytes(5).toString('hex');
  return {
    NODE_ENV: 'test',
    PORT: '0',
    DATA_DIR: shared?.DATA_DIR ?? (await mkdtemp(path.join(tmpdir(), 'auth-test-'))),
    DATABASE_URL: realServices.databaseUrl,
    REDIS_URL: realServices.redisUrl,
    DATABASE_SCHEMA:
      shared?.DATABASE_SCHEMA ?? (realServices.databaseUrl ? `test_${id}` : undefined),
    DATABASE_POOL_SIZE: '5',
    REDIS_KEY_PREFIX: shared?.REDIS_KEY_PREFIX ?? `test:${id}:`,
    KEY_ENCRYPTION_SECRET: 'test-key-encryption-secret-0123456789abcdef',
    JWT_ISSUER: 'https://auth.test.local',
    JWT_AUDIENCE: 'test-services',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    // Every request of a test run comes from one IP; the rate-limit tests set their own limits.
    THROTTLE_LOGIN_ACCOUNT: '1000/60',
    THROTTLE_LOGIN_DEVICE: '1000/60',
    THROTTLE_LOGIN_IP: '100000/60',
    THROTTLE_REGISTER_IP: '100000/3600',
    THROTTLE_REFRESH_IP: '100000/60',
    THROTTLE_DEFAULT_IP: '1000000/60',
    THROTTLE_MAIL_IP: '100000/3600',
    THROTTLE_MAIL_ADDRESS: '100000/3600',
  };
}

/** Deletes the keys under `prefix`; a server that is gone (an outage test's own) holds none worth deleting. */
async function deleteKeys(url: string, prefix: string): Promise<void> {
  const client = createClient({ url, socket: { connectTimeout: 2_000, reconnectStrategy: false } });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch {
    return;
  }
  try {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(keys);
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
}

async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
