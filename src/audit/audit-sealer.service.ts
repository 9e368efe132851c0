import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { chainHash, ChainLink, GENESIS_HASH } from './audit-chain.js';
import { AuditEventsRepository } from './audit-events.repository.js';
import { AuditRetentionService } from './audit-retention.service.js';

const SEAL_EVERY_MS = 1_000;
const BATCH = 500;

/**
 * Seals appended rows into the chain in the background, so that no request
 * waits for it. Each batch is one transaction holding the chain's advisory
 * lock: one sealer at a time across every instance on the database, each
 * continuing from the head the last one committed. Rows are sealed in the
 * order the sealer finds them committed; a row that commits late (lower id,
 * later commit) simply gets the next `seq`. The server starts it
 * (`start()`); the CLI, which boots the same modules, does not.
 */
@Injectable()
export class AuditSealer implements BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditSealer.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private busy = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly events: AuditEventsRepository,
    private readonly retention: AuditRetentionService,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.tick(), SEAL_EVERY_MS).unref();
  }

  /** Stops the timer and waits for a batch in flight, before the pool closes. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.stop();
  }

  /** Seals every row committed so far, waiting for the lock if another sealer holds it; the rows sealed. */
  sealPending(): Promise<number> {
    return this.sealAll(true);
  }

  /** Skipped while the previous one runs; skips sealing while another instance seals. */
  private tick(): void {
    if (this.busy) return;
    this.busy = true;
    this.running = this.sealAll(false)
      .then(() => this.retention.pruneIfDue())
      .catch((error: unknown) => this.logger.warn(`audit sealing failed: ${String(error)}`))
      .finally(() => (this.busy = false));
  }

  private async sealAll(wait: boolean): Promise<number> {
    if (!(await this.events.hasPending())) return 0;
    let total = 0;
    for (let sealed = BATCH; sealed === BATCH; total += sealed) {
      sealed = await this.sealBatch(wait);
    }
    return total;
  }

  /** One transaction: the lock (or nothing, if another sealer has it and `wait` is false), then up to BATCH rows. */
  private sealBatch(wait: boolean): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      if (!(await this.events.lockChain(manager, wait))) return 0;
      const pending = await this.events.findPending(manager, BATCH);
      if (pending.length === 0) return 0;
      let head = await this.head(manager);
      for (const row of pending) {
        const seq = (BigInt(head.seq) + 1n).toString();
        Object.assign(row, { seq, prevHash: head.hash, hash: chainHash(row, head.hash) });
        head = { seq, hash: row.hash! };
      }
      await this.events.seal(manager, pending);
      return pending.length;
    });
  }

  /** The last sealed row, else the checkpoint pruning left, else the start. */
  private async head(manager: EntityManager): Promise<ChainLink> {
    const last = await this.events.findLastSealed(manager);
    if (last) return last;
    const checkpoint = await this.events.findLatestCheckpoint(manager);
    return checkpoint
      ? { seq: checkpoint.seq, hash: checkpoint.hash }
      : { seq: '0', hash: GENESIS_HASH };
  }
}
