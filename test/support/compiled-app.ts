import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import supertest from 'supertest';
import type { KeyValueStore } from '../../src/redis/key-value-store.js';
import { testEnvironment, type TestApp } from './app.js';

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/src');

/**
 * Boots the app as `nest build` compiled it. Only the build runs the Swagger
 * CLI plugin, which documents DTO schemas from their types, so the document
 * that users get can only be checked here. `npm test` builds first (pretest).
 *
 * The environment is the one `startApp` gave `template`, or the one it would
 * give (so both stay in step), with a data folder, schema and Redis key
 * prefix of its own, and `overrides` on top.
 */
export async function startCompiledApp(
  template?: TestApp,
  overrides: Record<string, string> = {},
): Promise<TestApp> {
  const factory = path.join(DIST, 'app.factory.js');
  if (!existsSync(factory)) {
    throw new Error(
      `${factory} is missing: run \`npm run build\` first (\`npm test\` does it through pretest)`,
    );
  }
  const { createApp } = (await import(factory)) as typeof import('../../src/app.factory.js');
  const { loadConfig } = (await import(
    path.join(DIST, 'config/config.js')
  )) as typeof import('../../src/config/config.js');
  const { KEY_VALUE_STORE } = (await import(
    path.join(DIST, 'redis/redis.module.js')
  )) as typeof import('../../src/redis/redis.module.js');

  const id = randomBytes(5).toString('hex');
  const dataDir = await mkdtemp(path.join(tmpdir(), 'auth-test-dist-'));
  const base = template?.env ?? (await testEnvironment({ DATA_DIR: dataDir }));
  const env: Record<string, string | undefined> = {
    ...base,
    DATA_DIR: dataDir,
    DATABASE_SCHEMA: base.DATABASE_URL ? `test_${id}` : undefined,
    REDIS_KEY_PREFIX: `test:${id}:`,
    ...overrides,
  };
  const app: NestFastifyApplication = await createApp(loadConfig(env), {
    logLevels: process.env.TEST_LOGS ? undefined : false,
  });
  return {
    app,
    http: supertest(app.getHttpServer()),
    env,
    close: async () => {
      const kv = app.get<KeyValueStore>(KEY_VALUE_STORE);
      if (kv.client?.isReady) {
        const keys = await kv.client.keys(`${env.REDIS_KEY_PREFIX}*`);
        if (keys.length > 0) await kv.client.del(keys);
      }
      await app.close();
      if (env.DATABASE_URL && env.DATABASE_SCHEMA) {
        const client = new pg.Client({ connectionString: env.DATABASE_URL });
        await client.connect();
        await client
          .query(`DROP SCHEMA IF EXISTS "${env.DATABASE_SCHEMA}" CASCADE`)
          .finally(() => client.end());
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
