import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock.js';
import type { Config } from '../config/config.js';
import { InjectConfig } from '../config/config.module.js';
import { AuditCheckpointSigner } from './audit-checkpoint-signer.js';
import { AuditEventsRepository } from './audit-events.repository.js';

const DAY_MS = 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;

/**
 * Deletes sealed rows older than AUDIT_RETENTION_DAYS (0 keeps every row).
 * What is deleted is always a prefix of the chain, and in the same
 * transaction (under the chain's lock, so no sealer moves the head meanwhile)
 * a signed checkpoint records the last deleted row's `seq` and `hash`:
 * verification starts from it, so pruning never breaks the chain.
 */
@Injectable()
export class AuditRetentionService {
  private readonly logger = new Logger(AuditRetentionService.name);
  private lastRunAt = -Infinity;

  constructor(
    @InjectConfig() private readonly config: Config,
    private readonly clock: Clock,
    private readonly dataSource: DataSource,
    private readonly events: AuditEventsRepository,
    private readonly signer: AuditCheckpointSigner,
  ) {}

  /** Prunes at most once an hour (the sealer's timer calls this). */
  async pruneIfDue(): Promise<void> {
    if (this.clock.now() - this.lastRunAt < PRUNE_EVERY_MS) return;
    this.lastRunAt = this.clock.now();
    const pruned = await this.prune();
    if (pruned > 0) this.logger.log(`pruned ${pruned} audit rows past retention`);
  }

  /** Deletes the sealed rows past retention and checkpoints the last; the rows deleted. */
  async prune(): Promise<number> {
    const days = this.config.audit.retentionDays;
    if (days === 0) return 0;
    const before = new Date(this.clock.now() - days * DAY_MS);
    return this.dataSource.transaction(async (manager) => {
      await this.events.lockChain(manager, true);
      const last = await this.events.findLastPrunable(manager, before);
      if (!last) return 0;
      return this.events.pruneThrough(manager, {
        ...last,
        createdAt: new Date(this.clock.now()),
        signature: this.signer.sign(last),
      });
    });
  }
}
