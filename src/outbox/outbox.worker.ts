import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { UndeliverableError } from './outbox-handler.js';
import { ClaimedMessage, OutboxMessagesRepository } from './outbox-messages.repository.js';
import { OutboxService } from './outbox.service.js';
import { retryDelayMs } from './retry-delay.js';

/** How often each instance looks for due messages. */
export const OUTBOX_POLL_MS = 1_000;
/** How long a claim holds a message: far longer than any handler may take. */
export const OUTBOX_LEASE_MS = 60_000;
/** Messages claimed per pass. */
const BATCH = 20;
/** Delivered messages are kept this long (for inspection), then deleted. */
const KEEP_DELIVERED_MS = 7 * 24 * 3600_000;
const PRUNE_EVERY_MS = 3600_000;
const MAX_ERROR_LENGTH = 500;

/**
 * Delivers due outbox messages: claims a batch under a lease (so two
 * instances never hold one message at once, and a dead instance's messages
 * come back when its lease expires), hands each to its kind's handler, and
 * marks it delivered or schedules a retry with exponential backoff. The
 * server polls (`start`); tests call `deliverDue` with a moved clock.
 */
@Injectable()
export class OutboxWorker implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Outbox');
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private lastPass: Promise<unknown> = Promise.resolve();
  private prunedAt = 0;

  constructor(
    private readonly outbox: OutboxService,
    private readonly messages: OutboxMessagesRepository,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
  ) {
    metrics.probe('outboxPending', () => messages.pending());
  }

  /** Polls every `OUTBOX_POLL_MS` until the app shuts down (the server calls it; the CLI does not). */
  start(): void {
    this.timer ??= setInterval(() => this.poll(), OUTBOX_POLL_MS).unref();
  }

  /** Delivers what is due now; one pass at a time per instance. Resolves to the number delivered. */
  deliverDue(): Promise<number> {
    const pass = this.lastPass.then(() => this.pass());
    this.lastPass = pass.catch(() => undefined);
    return pass;
  }

  /**
   * Claims due messages and stops there, as an instance that dies right after
   * claiming would; for tests of lease expiry.
   */
  claimDue(): Promise<ClaimedMessage[]> {
    const now = this.clock.now();
    return this.messages.claimDue(new Date(now), new Date(now + OUTBOX_LEASE_MS), BATCH);
  }

  /** Stops polling and waits for the pass in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.lastPass;
  }

  /** Stops while the database is still open. */
  beforeApplicationShutdown(): Promise<void> {
    return this.stop();
  }

  private poll(): void {
    if (this.polling) return;
    this.polling = true;
    this.deliverDue()
      .catch((error: Error) => this.logger.warn(`outbox pass failed: ${error.message}`))
      .finally(() => (this.polling = false));
  }

  private async pass(): Promise<number> {
    await this.pruneNowAndThen();
    const claimed = await this.claimDue();
    const results = await Promise.all(claimed.map((message) => this.deliver(message)));
    return results.filter(Boolean).length;
  }

  private async deliver(message: ClaimedMessage): Promise<boolean> {
    const { id, kind } = message;
    try {
      const handler = this.outbox.handlerFor(kind);
      if (!handler) throw new Error(`no handler for kind "${kind}"`);
      await handler.deliver(message.payload);
      await this.messages.markDelivered(id, new Date(this.clock.now()), handler.scrubDelivered);
      this.metrics.outboxDeliveries.inc({ kind });
      return true;
    } catch (error) {
      await this.failed(message, error);
      return false;
    }
  }

  /** Schedules the next attempt, or gives the message up when its handler says no retry can help. */
  private async failed({ id, kind, attempts }: ClaimedMessage, error: unknown): Promise<void> {
    const reason = String((error as Error).message ?? error).slice(0, MAX_ERROR_LENGTH);
    this.metrics.outboxFailures.inc({ kind });
    // If a write below fails too (database down), the lease expires and the message is tried again.
    if (error instanceof UndeliverableError) {
      this.logger.warn({ event: 'outbox.undeliverable', kind, id, attempts, reason });
      await this.messages.delete(id).catch(() => undefined);
      return;
    }
    const retryAt = new Date(this.clock.now() + retryDelayMs(attempts));
    this.logger.warn({ event: 'outbox.delivery_failed', kind, id, attempts, reason, retryAt });
    await this.messages.markFailed(id, retryAt, reason).catch(() => undefined);
  }

  private async pruneNowAndThen(): Promise<void> {
    const now = this.clock.now();
    if (now - this.prunedAt < PRUNE_EVERY_MS) return;
    this.prunedAt = now;
    await this.messages.deleteDeliveredBefore(new Date(now - KEEP_DELIVERED_MS));
  }
}
