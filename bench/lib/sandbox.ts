import { createClient, type RedisClientType } from '@redis/client';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { runMigrations } from './server.js';

export const log = (message: string) => process.stderr.write(`${message}\n`);

// --- Clean-up of everything a run started or created, also on failure -------------

const cleanups: { name: string; run: () => Promise<unknown> }[] = [];
let cleaning: Promise<void> | null = null;

/** Registers an undo step; they run in reverse order, once, whatever happens. */
export function onCleanup(name: string, run: () => Promise<unknown>): void {
  cleanups.push({ name, run });
}

export function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const { name, run } of cleanups.splice(0).reverse()) {
      try {
        await run();
      } catch (error) {
        log(`clean-up: ${name} failed: ${(error as Error).message}`);
      }
    }
  })();
  return cleaning;
}

let interrupted = false;

/** Whether a signal is stopping the run (its work is being undone; report nothing). */
export const isInterrupted = () => interrupted;

/** Ctrl-C and SIGTERM still stop the server and remove the schema and keys. */
export function cleanUpOnSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      log(`\n${signal}: stopping the server and removing the benchmark's schema and Redis keys…`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
}

// --- A schema and a Redis key prefix of the run's own ------------------------------

function withApplicationName(databaseUrl: string, name: string): string {
  const url = new URL(databaseUrl);
  url.searchParams.set('application_name', name);
  return url.toString();
}

/** Rate limits out of the way: the benchmark measures the work, not the throttler's refusals. */
const UNLIMITED = '100000000/60';

export interface Sandbox {
  schema: string;
  redisPrefix: string;
  /** The server's environment (production mode), without PORT and WEB_CONCURRENCY. */
  env: NodeJS.ProcessEnv;
  /** The ADMIN_EMAIL account the server creates at start. */
  admin: { username: string; password: string };
  /** Connections with the sandbox schema on the search path. */
  pool: pg.Pool;
  /** The server's connections carry this `application_name` (the schema's name). */
  applicationName: string;
  /** A connection to the Redis server the server uses (for INFO and PING). */
  redis: RedisClientType;
  /** Where the server logs go (removed at the end unless `keepLogs`). */
  logDir: string;
  keepLogs: boolean;
  postgresVersion: string;
  redisVersion: string;
}

/**
 * Creates a fresh schema (`bench_<random>`) and picks a fresh Redis key
 * prefix, migrates the schema with the built TypeORM CLI, and registers
 * their removal. Nothing outside them is touched.
 */
export async function openSandbox(options: {
  root: string;
  databaseUrl: string;
  redisUrl: string;
  poolSize: number;
}): Promise<Sandbox> {
  const suffix = randomBytes(5).toString('hex');
  const schema = `bench_${suffix}`;
  const redisPrefix = `bench_${suffix}:`;
  const logDir = join(tmpdir(), `auth-bench-${suffix}`);
  mkdirSync(logDir, { recursive: true });

  const rootPool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: 2,
    connectionTimeoutMillis: 5_000,
  });
  onCleanup('close the database pool', () => rootPool.end());
  const postgresVersion = (await rootPool.query<{ server_version: string }>('SHOW server_version'))
    .rows[0].server_version;
  await rootPool.query(`CREATE SCHEMA "${schema}"`);
  onCleanup(`drop schema ${schema}`, () =>
    rootPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`),
  );

  const redis = createClient({ url: options.redisUrl });
  redis.on('error', () => undefined);
  await redis.connect();
  onCleanup('close the Redis connection', () => redis.quit());
  onCleanup(`delete Redis keys ${redisPrefix}*`, async () => {
    let batch: string[] = [];
    let seen = 0;
    for await (const key of redis.scanIterator({ MATCH: `${redisPrefix}*`, COUNT: 1000 })) {
      batch.push(key);
      if (++seen > 10_000_000) break;
      if (batch.length >= 500) {
        await redis.del(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await redis.del(batch);
  });
  const redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';

  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: 4,
    options: `-c search_path=${schema}`,
    connectionTimeoutMillis: 5_000,
  });
  onCleanup('close the schema pool', () => pool.end());

  const admin = {
    username: `bench-admin-${suffix}@bench.test`,
    password: `Admin-${randomBytes(18).toString('base64url')}`,
  };
  const inherited = { ...process.env };
  for (const name of Object.keys(inherited)) {
    if (/^(THROTTLE_|BENCH_|ADMIN_)/.test(name)) delete inherited[name];
  }
  for (const name of ['TRUST_PROXY', 'METRICS_TOKEN', 'METRICS_PORT', 'METRICS_HOST']) {
    delete inherited[name];
  }
  delete inherited.PORT;
  delete inherited.WEB_CONCURRENCY;
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    LOG_FORMAT: 'json',
    // Named, so that the wait sampler tells the server's backends in pg_stat_activity from any other.
    DATABASE_URL: withApplicationName(options.databaseUrl, schema),
    DATABASE_SCHEMA: schema,
    DATABASE_POOL_SIZE: String(options.poolSize),
    REDIS_URL: options.redisUrl,
    REDIS_KEY_PREFIX: redisPrefix,
    KEY_ENCRYPTION_SECRET: randomBytes(48).toString('base64url'),
    // /metrics is served only to this token; the benchmark reads the V8 heap from it.
    METRICS_TOKEN: randomBytes(32).toString('base64url'),
    JWT_ISSUER: 'https://auth.bench.test',
    // Required in production. Nothing listens there: the seeding's verification mails stay in the outbox.
    SMTP_URL: 'smtp://127.0.0.1:9',
    ADMIN_EMAIL: admin.username,
    ADMIN_PASSWORD: admin.password,
    THROTTLE_DEFAULT_IP: UNLIMITED,
    THROTTLE_LOGIN_IP: UNLIMITED,
    THROTTLE_LOGIN_ACCOUNT: UNLIMITED,
    THROTTLE_LOGIN_DEVICE: UNLIMITED,
    THROTTLE_REFRESH_IP: UNLIMITED,
    THROTTLE_REGISTER_IP: UNLIMITED,
  };

  const sandbox: Sandbox = {
    schema,
    redisPrefix,
    env,
    admin,
    pool,
    applicationName: schema,
    redis: redis as RedisClientType,
    logDir,
    keepLogs: true,
    postgresVersion,
    redisVersion,
  };
  onCleanup('remove the server logs', async () => {
    if (sandbox.keepLogs) log(`server logs kept in ${logDir}`);
    else rmSync(logDir, { recursive: true, force: true });
  });

  log(`schema ${schema}, Redis prefix ${redisPrefix}: migrating…`);
  await runMigrations(options.root, { ...env, WEB_CONCURRENCY: '1' });
  return sandbox;
}
