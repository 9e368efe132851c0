import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { DependencyUnavailableError } from '../common/errors.js';

/**
 * With WEB_CONCURRENCY > 1 every worker counts in its own registry, so a
 * scrape answered by one worker would show a fraction of the server. The
 * primary is the one place that sees every worker: it aggregates their
 * registries with prom-client's `AggregatorRegistry` (over the cluster IPC
 * channel), serves the metrics listener itself, and answers the workers that
 * receive a scrape on the main port (`METRICS_TOKEN`).
 */

/** Something that renders the Prometheus text exposition. */
export interface MetricsSource {
  readonly contentType: string;
  scrape(): Promise<string>;
}

const SCRAPE_REQUEST = 'auth-server:metrics-scrape';
const SCRAPE_RESULT = 'auth-server:metrics-result';
// Longer than the 5 s prom-client gives the workers, so its own timeout is the one reported.
const SCRAPE_TIMEOUT_MS = 10_000;

interface ScrapeRequest {
  type: typeof SCRAPE_REQUEST;
  id: number;
}

interface ScrapeResult {
  type: typeof SCRAPE_RESULT;
  id: number;
  metrics?: string;
  error?: string;
}

const isMessage = <T extends { type: string }>(message: unknown, type: T['type']): message is T =>
  typeof message === 'object' && message !== null && (message as T).type === type;

/** Primary: the whole server's metrics, summed over the workers. */
export class ClusterMetrics implements MetricsSource {
  private readonly aggregator = new AggregatorRegistry();
  readonly contentType = this.aggregator.contentType;

  constructor() {
    cluster.on('message', (worker: Worker, message: unknown) => {
      if (isMessage<ScrapeRequest>(message, SCRAPE_REQUEST)) void this.answer(worker, message.id);
    });
  }

  async scrape(): Promise<string> {
    try {
      return await this.aggregator.clusterMetrics();
    } catch {
      // A worker did not answer in time (busy, starting or dying): no partial sums.
      throw DependencyUnavailableError.of('Metrics of every worker');
    }
  }

  private async answer(worker: Worker, id: number): Promise<void> {
    const result: ScrapeResult = { type: SCRAPE_RESULT, id };
    try {
      result.metrics = await this.scrape();
    } catch (error) {
      result.error = (error as Error).message;
    }
    if (worker.isConnected()) worker.send(result);
  }
}

/**
 * Worker: answer the primary's requests for this process's metrics from the
 * start, before the app (and its registry) exists; until `shareRegistry` is
 * called the answer is empty. Otherwise a scrape while a worker starts (or
 * retries an unreachable database) would wait for it and fail.
 */
export function answerPrimary(): void {
  // prom-client installs its worker-side IPC listener when an AggregatorRegistry is created.
  new AggregatorRegistry();
}

/** Worker: the registry the primary aggregates. */
export function shareRegistry(registry: Registry): void {
  AggregatorRegistry.setRegistries([registry]);
  answerPrimary();
}

const pending = new Map<number, (result: ScrapeResult) => void>();
let nextScrapeId = 0;
let listening = false;

/** Worker: asks the primary for the whole server's metrics. */
export function scrapeThroughPrimary(): Promise<string> {
  if (!listening) {
    listening = true;
    process.on('message', (message: unknown) => {
      if (isMessage<ScrapeResult>(message, SCRAPE_RESULT)) pending.get(message.id)?.(message);
    });
  }
  const id = nextScrapeId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => settle({ type: SCRAPE_RESULT, id, error: 'timed out' }),
      SCRAPE_TIMEOUT_MS,
    );
    const settle = (result: ScrapeResult) => {
      clearTimeout(timer);
      pending.delete(id);
      if (result.metrics !== undefined) resolve(result.metrics);
      else reject(DependencyUnavailableError.of('Metrics of every worker'));
    };
    pending.set(id, settle);
    process.send!({ type: SCRAPE_REQUEST, id } satisfies ScrapeRequest);
  });
}
