import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import cluster, { type Worker } from 'node:cluster';
import { performance } from 'node:perf_hooks';
import { Config, ConfigError, loadConfig } from './config/config.js';
import { answerPrimary, ClusterMetrics } from './metrics/cluster-metrics.js';
import { startMetricsListener } from './metrics/metrics-listener.js';
import { exitOnSignals } from './shutdown.js';

const logger = new Logger('Bootstrap');

async function serve(config: Config): Promise<void> {
  // Loaded here, not at the top: a cluster primary only supervises and never needs the app.
  const { createApp } = await import('./app.factory.js');
  const app = await createApp(config);
  // SIGTERM: stop accepting, let in-flight requests finish, then close the pools (Nest's order).
  exitOnSignals(() => app.close(), config.server.shutdownTimeoutMs, logger);
  await app.listen(config.app.port, config.app.host);
  const mode = `${config.database.url ? 'PostgreSQL' : 'embedded PostgreSQL'} + ${config.redis.url ? 'Redis' : 'in-process store'}`;
  const worker = cluster.isWorker ? ` worker ${cluster.worker!.id}` : '';
  logger.log(
    `listening on ${await app.getUrl()}${worker} (${mode}); docs at /docs; started in ${Math.round(performance.now())} ms`,
  );
}

/**
 * In a cluster the primary serves the metrics of every worker: on the
 * metrics listener, and to workers asked on the main port (METRICS_TOKEN).
 */
async function serveClusterMetrics(config: Config): Promise<{ close(): Promise<void> } | null> {
  if (config.metrics.token === undefined && config.metrics.port === undefined) return null;
  const metrics = new ClusterMetrics();
  if (config.metrics.port === undefined) return null;
  return startMetricsListener({ host: config.metrics.host, port: config.metrics.port }, metrics);
}

/** The primary outlasts its workers' own SHUTDOWN_TIMEOUT by this much before giving up on them. */
const PRIMARY_SHUTDOWN_MARGIN_MS = 5_000;

/**
 * WEB_CONCURRENCY > 1: one worker process per core sharing the port
 * (node:cluster). Everything that must be global lives in PostgreSQL and
 * Redis, so workers are as interchangeable as separate machines.
 */
async function supervise(config: Config): Promise<void> {
  const workers = config.webConcurrency;
  const metricsListener = await serveClusterMetrics(config);
  logger.log(`starting ${workers} worker processes`);
  for (let i = 0; i < workers; i++) cluster.fork();
  let stopping = false;
  let recentExits: number[] = [];
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    const now = Date.now();
    recentExits = [...recentExits.filter((at) => now - at < 30_000), now];
    // A worker that cannot start (bad database URL, pending migrations) would otherwise respawn forever.
    if (recentExits.length > workers * 2) {
      logger.fatal('workers keep exiting; giving up');
      process.exit(1);
    }
    logger.warn(`worker ${worker.id} exited (${signal ?? code}); starting a replacement`);
    cluster.fork();
  });
  // Each worker finishes its own in-flight requests within SHUTDOWN_TIMEOUT; the primary waits for them.
  exitOnSignals(
    async (signal) => {
      stopping = true;
      await Promise.all([stopWorkers(signal), metricsListener?.close()]);
    },
    config.server.shutdownTimeoutMs + PRIMARY_SHUTDOWN_MARGIN_MS,
    logger,
  );
}

/** Passes the signal to every worker; resolves when all have exited, rejects if one did not exit 0. */
async function stopWorkers(signal: NodeJS.Signals): Promise<void> {
  const workers = Object.values(cluster.workers ?? {}).filter(
    (worker): worker is Worker => worker !== undefined && !worker.isDead(),
  );
  const exits = await Promise.allSettled(
    workers.map(
      (worker) =>
        new Promise<void>((resolve, reject) => {
          worker.once('exit', (code, exitSignal) =>
            code === 0
              ? resolve()
              : reject(new Error(`worker ${worker.id} exited with ${exitSignal ?? code}`)),
          );
          worker.process.kill(signal);
        }),
    ),
  );
  const failed = exits.find((exit) => exit.status === 'rejected');
  if (failed) throw failed.reason;
}

const fail = (error: unknown) => {
  logger.fatal(error instanceof Error ? error.message : String(error));
  process.exit(1);
};

function main(): void {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  if (config.webConcurrency > 1 && cluster.isPrimary) {
    supervise(config).catch(fail);
    return;
  }
  if (cluster.isWorker) answerPrimary();
  serve(config).catch(fail);
}

main();
