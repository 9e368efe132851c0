import type { RedisClientType } from '@redis/client';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { metricValue } from './server.js';
import { median } from './stats.js';

/**
 * What a scenario's requests waited on, sampled while its load ran: the
 * server's connection pool (queries waiting for a connection), PostgreSQL's
 * own view of its backends (`pg_stat_activity`: running, idle, or waiting,
 * and on what), Redis (commands per request, and one PING's round trip as
 * the client side sees it), the server's event-loop delay, and the CPU of
 * both sides: the server's and the load generator's (this process, where
 * autocannon runs). A side near one full core is the one that was saturated.
 */
export interface WaitProfile {
  samples: number;
  /** Mean of the server's `database_pool_waiting_queries` over the samples. */
  poolWaitingMean: number;
  poolWaitingMax: number;
  /** Share of samples with at least one query waiting for a pool connection. */
  poolWaitingShare: number;
  /** Mean number of the server's PostgreSQL backends per state or wait event ("active: CPU", "active: Lock/transactionid", "idle", …). */
  backends: Record<string, number>;
  /** Redis commands per 2xx response (all clients of the Redis server, from INFO commandstats). */
  redisCommandsPerRequest: number;
  /** The same, per command: `evalsha` is one round trip, the calls its script makes are not. */
  redisCommands: Record<string, number>;
  /** Median round trip of one PING to Redis, milliseconds, measured beside the load. */
  redisPingMs: number;
  /** Median of the server's event-loop delay p99 (prom-client, reset at every scrape), milliseconds. */
  eventLoopLagP99Ms: number;
  /** CPU seconds per second of wall-clock time: 1 = one core fully busy. */
  serverCores: number;
  loadGeneratorCores: number;
  /** The load generator's CPU per 2xx response, milliseconds. */
  loadGeneratorCpuMsPerRequest: number;
}

export interface WaitSources {
  /** A pool of the benchmark's own on the server's database. */
  pool: pg.Pool;
  /** The `application_name` of the server's connections. */
  applicationName: string;
  redis: RedisClientType;
  server: { metricsText(): Promise<string | null>; cpuSeconds(): number };
  intervalMs?: number;
}

const SAMPLE_INTERVAL_MS = 100;

/** Calls per command name, from INFO commandstats (a script's own calls count under their names). */
async function redisCalls(redis: RedisClientType): Promise<Map<string, number>> {
  const info = await redis.info('commandstats');
  const calls = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    calls.set(match[1], Number(match[2]));
  }
  return calls;
}

/** Per 2xx response, the commands run between two readings, without the sampler's own. */
function redisPerRequest(
  before: Map<string, number>,
  after: Map<string, number>,
  own: Record<string, number>,
  ok: number,
): Record<string, number> {
  const perRequest: Record<string, number> = {};
  for (const [name, calls] of after) {
    const delta = calls - (before.get(name) ?? 0) - (own[name] ?? 0);
    if (delta > 0) perRequest[name] = delta / Math.max(1, ok);
  }
  return perRequest;
}

/** Samples every `intervalMs` until `stop`; returns the profile for `ok` 2xx responses. */
export class WaitSampler {
  private readonly poolWaiting: number[] = [];
  private readonly lag: number[] = [];
  private readonly pings: number[] = [];
  private readonly backendCounts = new Map<string, number>();
  private backendSamples = 0;
  private running = true;
  private loop: Promise<void> = Promise.resolve();
  private cpuBefore = process.cpuUsage();
  private serverCpuBefore = 0;
  private started = 0;
  private redisBefore = new Map<string, number>();

  constructor(private readonly sources: WaitSources) {}

  async start(): Promise<void> {
    this.redisBefore = await redisCalls(this.sources.redis);
    await this.sources.server.metricsText(); // resets the event-loop histogram
    this.cpuBefore = process.cpuUsage();
    this.serverCpuBefore = this.sources.server.cpuSeconds();
    this.started = performance.now();
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    const interval = this.sources.intervalMs ?? SAMPLE_INTERVAL_MS;
    while (this.running) {
      const next = performance.now() + interval;
      await Promise.all([this.sampleServer(), this.sampleBackends(), this.samplePing()]);
      const wait = next - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  private async sampleServer(): Promise<void> {
    const text = await this.sources.server.metricsText();
    if (text === null) return;
    const waiting = metricValue(text, 'database_pool_waiting_queries');
    if (Number.isFinite(waiting)) this.poolWaiting.push(waiting);
    const lag = metricValue(text, 'nodejs_eventloop_lag_p99_seconds');
    if (Number.isFinite(lag)) this.lag.push(lag * 1000);
  }

  private async sampleBackends(): Promise<void> {
    const { rows } = await this.sources.pool.query<{ what: string; count: number }>(
      `SELECT CASE WHEN state = 'active'
                   THEN 'active: ' || coalesce(wait_event_type || '/' || wait_event, 'CPU')
                   ELSE coalesce(state, 'unknown') END AS what,
              count(*)::int AS count
       FROM pg_stat_activity
       WHERE datname = current_database() AND backend_type = 'client backend'
         AND application_name = $1
       GROUP BY 1`,
      [this.sources.applicationName],
    );
    this.backendSamples++;
    for (const { what, count } of rows) {
      this.backendCounts.set(what, (this.backendCounts.get(what) ?? 0) + count);
    }
  }

  private async samplePing(): Promise<void> {
    const started = performance.now();
    await this.sources.redis.ping();
    this.pings.push(performance.now() - started);
  }

  async stop(ok: number): Promise<WaitProfile> {
    const seconds = (performance.now() - this.started) / 1000;
    const cpu = process.cpuUsage(this.cpuBefore);
    const serverCpu = this.sources.server.cpuSeconds() - this.serverCpuBefore;
    this.running = false;
    await this.loop;
    const redisAfter = await redisCalls(this.sources.redis);
    // This sampler's own commands (one PING per sample, the first INFO) are not the server's.
    const redisCommands = redisPerRequest(
      this.redisBefore,
      redisAfter,
      { ping: this.pings.length, info: 1 },
      ok,
    );
    const loadGeneratorSeconds = (cpu.user + cpu.system) / 1e6;
    const samples = this.poolWaiting.length;
    const mean = (values: number[]) =>
      values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN;
    return {
      samples,
      poolWaitingMean: mean(this.poolWaiting),
      poolWaitingMax: samples ? Math.max(...this.poolWaiting) : Number.NaN,
      poolWaitingShare: samples ? this.poolWaiting.filter((w) => w > 0).length / samples : NaN,
      backends: Object.fromEntries(
        [...this.backendCounts].map(([what, total]) => [
          what,
          total / Math.max(1, this.backendSamples),
        ]),
      ),
      redisCommandsPerRequest: Object.values(redisCommands).reduce((a, b) => a + b, 0),
      redisCommands,
      redisPingMs: median(this.pings),
      eventLoopLagP99Ms: median(this.lag),
      serverCores: seconds > 0 ? serverCpu / seconds : Number.NaN,
      loadGeneratorCores: seconds > 0 ? loadGeneratorSeconds / seconds : Number.NaN,
      loadGeneratorCpuMsPerRequest: (loadGeneratorSeconds * 1000) / Math.max(1, ok),
    };
  }
}
