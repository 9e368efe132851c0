import { Injectable } from '@nestjs/common';
import cluster from 'node:cluster';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { MetricsSource, scrapeThroughPrimary, shareRegistry } from './cluster-metrics.js';

/** Why a sign-in was refused, or `success`. */
export type SignInResult = 'success' | 'unknown_user' | 'wrong_password' | 'disabled' | 'locked';
/** How a refresh ended. */
export type RefreshResult = 'success' | 'invalid' | 'reuse' | 'user_inactive';

/**
 * Values read when `/metrics` is scraped rather than kept up to date on a hot
 * path. The module that knows each value registers its reader (`probe`);
 * a gauge without a reader reports nothing.
 */
export interface MetricProbes {
  /** The `pg` pool of this process. */
  databasePool(): { total: number; idle: number; waiting: number };
  /** `true` when the Redis client is ready; `null` with the in-process store. */
  redisReady(): boolean | null;
  /** Argon2/bcrypt computations started and not finished in this process. */
  passwordHashesInProgress(): number;
  /** Undelivered outbox messages by kind, and the creation time of the oldest. */
  outboxPending(): Promise<{ kind: string; count: number; oldestCreatedAt: Date }[]>;
  /** When the active signing key was created (ms since the epoch). */
  signingKeyCreatedAt(): number | null;
}

/** Argon2 runs on libuv's thread pool: computations beyond its size wait for a thread. */
const THREAD_POOL_SIZE = Number(process.env.UV_THREADPOOL_SIZE) || 4;

/**
 * Every metric the server exposes (docs/operations.md#metrics), in one
 * registry per app instance, so that several instances in one process do not
 * collide. In a cluster the primary sums the workers' series; gauges that
 * describe the shared database say `max` instead, so they are not multiplied.
 */
@Injectable()
export class MetricsService implements MetricsSource {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;
  private readonly probes: Partial<MetricProbes> = {};

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly signIns = this.counter('auth_sign_ins_total', 'Password sign-ins by result', 'result');
  readonly refreshes = this.counter(
    'auth_refreshes_total',
    'Refresh-token uses by result',
    'result',
  );
  readonly reuseDetections = new Counter({
    name: 'auth_refresh_reuse_detections_total',
    help: 'Sessions revoked because a spent refresh token came back',
    registers: [this.registry],
  });
  readonly sessionRevocations = this.counter(
    'auth_session_revocations_total',
    'Sessions ended, by reason',
    'reason',
  );
  readonly rateLimitHits = this.counter(
    'rate_limit_hits_total',
    'Requests refused (429) by a per-IP limit or a sign-in lock, by limit',
    'limit',
  );
  readonly blocklistCheckDuration = new Histogram({
    name: 'blocklist_check_duration_seconds',
    help: 'Time to check an access token against the revocation blocklist',
    buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly outboxDeliveries = this.counter(
    'outbox_deliveries_total',
    'Outbox messages delivered (webhook calls, mails), by kind',
    'kind',
  );
  readonly outboxFailures = this.counter(
    'outbox_delivery_failures_total',
    'Failed outbox delivery attempts (each is retried), by kind',
    'kind',
  );

  readonly mailQueued = this.counter(
    'mail_messages_queued_total',
    'Mails written to the outbox (counted when written, even if the transaction then rolls back), by template',
    'template',
  );
  readonly mailSent = this.counter(
    'mail_messages_sent_total',
    'Mails accepted by the SMTP server (or written to the log without SMTP_URL), by template',
    'template',
  );
  readonly mailFailures = this.counter(
    'mail_delivery_failures_total',
    'Failed attempts to send a mail, by template',
    'template',
  );
  readonly mailRetries = this.counter(
    'mail_delivery_retries_total',
    'Failed attempts at a queued mail that the outbox will try again (not an address refused for good), by template',
    'template',
  );

  constructor() {
    // In a cluster the primary sums every worker's series with equal labels: right for the
    // request and event counters, wrong for one process's memory or CPU. Those carry a
    // `worker` label, so each process stays its own series (sum them in the query).
    const labels = cluster.isWorker ? { worker: String(cluster.worker!.id) } : undefined;
    collectDefaultMetrics({ register: this.registry, labels });
    this.scrapeTimeGauges();
    if (cluster.isWorker) shareRegistry(this.registry);
  }

  /** Registers the reader of a value reported at scrape time. */
  probe<K extends keyof MetricProbes>(name: K, read: MetricProbes[K]): void {
    this.probes[name] = read;
  }

  /** The text exposition for the whole server: this process, or every worker of a cluster. */
  scrape(): Promise<string> {
    return cluster.isWorker ? scrapeThroughPrimary() : this.registry.metrics();
  }

  private counter<L extends string>(name: string, help: string, label: L): Counter<L> {
    return new Counter({ name, help, labelNames: [label], registers: [this.registry] });
  }

  private gauge(
    name: string,
    help: string,
    collect: (gauge: Gauge) => void | Promise<void>,
    options: { labelNames?: string[]; aggregator?: 'sum' | 'max' | 'min' } = {},
  ): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      labelNames: options.labelNames ?? [],
      aggregator: options.aggregator ?? 'sum',
      collect() {
        return collect(this);
      },
    });
  }

  private scrapeTimeGauges(): void {
    const pool = () => this.probes.databasePool?.() ?? { total: 0, idle: 0, waiting: 0 };
    this.gauge('database_pool_connections', 'Open database connections', (g) =>
      g.set(pool().total),
    );
    this.gauge('database_pool_idle_connections', 'Idle database connections', (g) =>
      g.set(pool().idle),
    );
    this.gauge('database_pool_waiting_queries', 'Queries waiting for a connection', (g) =>
      g.set(pool().waiting),
    );
    this.gauge(
      'redis_up',
      '1 when the Redis client is connected, 0 when not (always 1 with the in-process store)',
      (g) => g.set(this.probes.redisReady?.() === false ? 0 : 1),
      { aggregator: 'min' },
    );
    const hashes = () => this.probes.passwordHashesInProgress?.() ?? 0;
    this.gauge('password_hashes_in_progress', 'Argon2 computations running or queued', (g) =>
      g.set(hashes()),
    );
    this.gauge('password_hashes_waiting', 'Argon2 computations waiting for a thread', (g) =>
      g.set(Math.max(0, hashes() - THREAD_POOL_SIZE)),
    );
    this.outboxGauges();
    this.gauge(
      'signing_key_age_seconds',
      'Age of the active signing key',
      (g) => {
        const createdAt = this.probes.signingKeyCreatedAt?.();
        if (createdAt != null) g.set(Math.max(0, (Date.now() - createdAt) / 1000));
      },
      { aggregator: 'max' },
    );
  }

  /** One query per scrape, shared by both gauges (a scrape collects them together). */
  private outboxGauges(): void {
    type Pending = Awaited<ReturnType<MetricProbes['outboxPending']>>;
    let query: Promise<Pending> | undefined;
    const read = () => {
      query ??= (this.probes.outboxPending?.() ?? Promise.resolve([]))
        // The database is down: report no backlog rather than failing the whole scrape.
        .catch((): Pending => [])
        .finally(() => setImmediate(() => (query = undefined)));
      return query;
    };
    const options = { labelNames: ['kind'], aggregator: 'max' as const };
    this.gauge(
      'outbox_messages_pending',
      'Outbox messages not yet delivered (webhook and mail backlog), by kind',
      async (g) => {
        g.reset();
        for (const { kind, count } of await read()) g.set({ kind }, count);
      },
      options,
    );
    this.gauge(
      'outbox_oldest_pending_age_seconds',
      'Age of the oldest undelivered outbox message, by kind',
      async (g) => {
        g.reset();
        for (const { kind, oldestCreatedAt } of await read()) {
          g.set({ kind }, Math.max(0, (Date.now() - oldestCreatedAt.getTime()) / 1000));
        }
      },
      options,
    );
  }
}
