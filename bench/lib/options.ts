import { availableParallelism } from 'node:os';

export type ModeName = 'single' | 'cluster';

export interface BenchOptions {
  databaseUrl: string;
  redisUrl: string;
  /** Seconds of measured load per scenario and round. */
  duration: number;
  /** Seconds of unrecorded load per scenario before the first round of each mode. */
  warmup: number;
  rounds: number;
  /** Concurrent connections of the load generator (and concurrent loops of the ceilings). */
  connections: number;
  /** Live refresh sessions present in the database before the RSS reading. */
  sessions: number;
  modes: ModeName[];
  /** Worker processes in cluster mode. */
  workers: number;
  /** The server's DATABASE_POOL_SIZE (per process). */
  poolSize: number;
  /** Extra `node` flags for the server process, e.g. `--max-old-space-size=128`. */
  serverNodeArgs: string[];
  /** Hard limit on the whole run, in seconds. */
  timeout: number;
}

export class UsageError extends Error {}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > max) {
    throw new UsageError(`${name} must be a number above 0 and at most ${max} (got "${raw}")`);
  }
  return value;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, max: number): number {
  const value = positive(env, name, fallback, max);
  if (!Number.isInteger(value)) throw new UsageError(`${name} must be a whole number`);
  return value;
}

export function readOptions(env: NodeJS.ProcessEnv): BenchOptions {
  const databaseUrl = env.DATABASE_URL?.trim();
  const redisUrl = env.REDIS_URL?.trim();
  const missing = [!databaseUrl && 'DATABASE_URL', !redisUrl && 'REDIS_URL'].filter(Boolean);
  if (missing.length > 0) {
    throw new UsageError(
      `${missing.join(' and ')} must be set: the benchmark runs the app on real PostgreSQL and Redis.\n` +
        '  Example: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres ' +
        'REDIS_URL=redis://127.0.0.1:6379 npm run bench\n' +
        '  It works in a schema and under a Redis key prefix of its own, and removes both at the end.',
    );
  }
  const modes = (env.BENCH_MODES ?? 'single,cluster')
    .split(',')
    .map((mode) => mode.trim())
    .filter(Boolean);
  for (const mode of modes) {
    if (mode !== 'single' && mode !== 'cluster') {
      throw new UsageError(`BENCH_MODES must list single and/or cluster (got "${mode}")`);
    }
  }
  if (modes.length === 0) throw new UsageError('BENCH_MODES is empty');
  return {
    databaseUrl: databaseUrl!,
    redisUrl: redisUrl!,
    duration: positive(env, 'BENCH_DURATION', 4, 600),
    warmup: positive(env, 'BENCH_WARMUP', 2, 600),
    rounds: integer(env, 'BENCH_ROUNDS', 3, 50),
    connections: integer(env, 'BENCH_CONNECTIONS', 50, 1000),
    sessions: integer(env, 'BENCH_SESSIONS', 10_000, 1_000_000),
    modes: [...new Set(modes)] as ModeName[],
    workers: integer(env, 'BENCH_WORKERS', Math.max(2, availableParallelism()), 64),
    poolSize: integer(env, 'DATABASE_POOL_SIZE', 10, 200),
    serverNodeArgs: (env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
    timeout: positive(env, 'BENCH_TIMEOUT', 1200, 24 * 3600),
  };
}
