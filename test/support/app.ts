import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import supertest from 'supertest';
import { createApp } from '../../src/app.factory.js';
import { loadConfig } from '../../src/config/config.js';
import { KEY_VALUE_STORE } from '../../src/redis/redis.module.js';
import type { KeyValueStore } from '../../src/redis/key-value-store.js';

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

export interface TestApp {
  app: NestFastifyApplication;
  http: ReturnType<typeof supertest>;
  env: Record<string, string | undefined>;
  close(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string | undefined>;
  /** Share the database schema / key prefix of another instance (scale-out tests). */
  shareWith?: TestApp;
}

/**
 * Boots the whole app in-process. On a real PostgreSQL each app gets its own
 * schema (and Redis key prefix), so test files running side by side never
 * see each other's rows; embedded runs get their own data folder.
 */
export async function startApp(options: StartOptions = {}): Promise<TestApp> {
  const env = { ...(await testEnvironment(options.shareWith?.env)), ...options.env };
  const dataDir = env.DATA_DIR!;
  const app = await createApp(loadConfig(env), {
    logLevels: process.env.TEST_LOGS ? undefined : false,
  });
  const http = supertest(app.getHttpServer());
  return {
    app,
    http,
    env,
    close: async () => {
      const kv = app.get<KeyValueStore>(KEY_VALUE_STORE);
      if (!options.shareWith && kv.client?.isReady) {
        const keys = await kv.client.keys(`${env.REDIS_KEY_PREFIX}*`);
        if (keys.length > 0) await kv.client.del(keys);
      }
      await app.close();
      if (options.shareWith) return;
      if (env.DATABASE_URL && env.DATABASE_SCHEMA)
        await dropSchema(env.DATABASE_URL, env.DATABASE_SCHEMA);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The environment of a test app: a data folder, schema and Redis key prefix
 * of its own (or those of `shared`), fixed keys and issuer, and the first admin.
 */
export async function testEnvironment(
  shared?: Record<string, string | undefined>,
): Promise<Record<string, string | undefined>> {
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
  };
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
