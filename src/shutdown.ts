import type { Logger } from '@nestjs/common';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * On SIGTERM or SIGINT, runs `close` once and exits 0 when it is done, or 1
 * if it fails or takes longer than `timeoutMs` (SHUTDOWN_TIMEOUT). A second
 * signal while closing changes nothing: the bound still holds.
 */
export function exitOnSignals(
  close: (signal: NodeJS.Signals) => Promise<void>,
  timeoutMs: number,
  logger: Logger,
): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.log(`${signal} received: shutting down (at most ${timeoutMs / 1000} s)`);
    const timer = setTimeout(() => {
      logger.error(`shutdown took longer than ${timeoutMs / 1000} s (SHUTDOWN_TIMEOUT); exiting`);
      process.exit(1);
    }, timeoutMs);
    close(signal).then(
      () => {
        clearTimeout(timer);
        logger.log('shut down cleanly');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
}
