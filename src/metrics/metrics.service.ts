import { Injectable } from '@nestjs/common';
import cluster from 'node:cluster';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { MetricsSource, scrapeThroughPrimary, shareRegistry } from './cluster-metrics.js';

/** One registry per app instance, so that several instances in one process do not collide. */
@Injectable()
export class MetricsService implements MetricsSource {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly authEvents = new Counter({
    name: 'auth_events_total',
    help: 'Authentication events (login, refresh, reuse, revocation) by outcome',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });

  constructor() {
    // In a cluster the primary sums every worker's series with equal labels: right for the
    // request and event counters, wrong for one process's memory or CPU. Those carry a
    // `worker` label, so each process stays its own series (sum them in the query).
    const labels = cluster.isWorker ? { worker: String(cluster.worker!.id) } : undefined;
    collectDefaultMetrics({ register: this.registry, labels });
    if (cluster.isWorker) shareRegistry(this.registry);
  }

  /** The text exposition for the whole server: this process, or every worker of a cluster. */
  scrape(): Promise<string> {
    return cluster.isWorker ? scrapeThroughPrimary() : this.registry.metrics();
  }
}
