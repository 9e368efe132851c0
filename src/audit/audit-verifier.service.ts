import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { chainHash, ChainLink, GENESIS_HASH } from './audit-chain.js';
import { AuditCheckpointSigner } from './audit-checkpoint-signer.js';
import { AuditEventsRepository } from './audit-events.repository.js';
import type { AuditEvent } from './entities/audit-event.entity.js';

const BATCH = 1_000;
/** How far back a row's `prevHash` is looked up to tell an inserted row from a removed one. */
const LOOKBACK = 1_000;

/** The first place where the stored chain is not the one the sealer wrote. */
export interface AuditChainBreak {
  /**
   * `altered`: the row's content no longer matches its hash (or its `seq` was changed);
   * `removed`: rows before this one are missing;
   * `inserted`: this row was put between two rows of the chain;
   * `forged_checkpoint`: the checkpoint's signature is wrong.
   */
  kind: 'altered' | 'removed' | 'inserted' | 'forged_checkpoint';
  /** The row named (for `removed`, the first row after the gap); null for a checkpoint. */
  id: string | null;
  /** Its `seq` (for a checkpoint, the checkpoint's). */
  seq: string;
  /** One sentence for the operator. */
  message: string;
}

export interface AuditVerification {
  /** True when every sealed row checks out. */
  ok: boolean;
  /** Sealed rows checked (up to the break, if any). */
  checked: number;
  /** Rows appended but not sealed yet: not covered by this check. */
  pending: number;
  /** Where the chain starts after pruning; null when nothing was pruned. */
  checkpoint: ChainLink | null;
  /** The last row that checked out (the chain's head when `ok`); null for an empty chain. */
  head: ChainLink | null;
  /** The first break, or null. */
  break: AuditChainBreak | null;
}

/**
 * Walks the chain in `seq` order from its start (the signed checkpoint, or
 * the genesis hash) and stops at the first row that was altered, removed or
 * inserted. Deleting rows at the very end leaves a shorter valid chain:
 * compare `head` with one kept elsewhere to catch that.
 */
@Injectable()
export class AuditVerifier {
  constructor(
    private readonly dataSource: DataSource,
    private readonly events: AuditEventsRepository,
    private readonly signer: AuditCheckpointSigner,
  ) {}

  /** Reads one snapshot: a prune or a seal committing meanwhile cannot look like a break. */
  verify(): Promise<AuditVerification> {
    return this.dataSource.transaction('REPEATABLE READ', (manager) => this.walk(manager));
  }

  private async walk(manager: EntityManager): Promise<AuditVerification> {
    const stored = await this.events.findLatestCheckpoint(manager);
    const checkpoint = stored && { seq: stored.seq, hash: stored.hash };
    const pending = await this.events.countPending(manager);
    if (checkpoint && !this.signer.isValid(checkpoint, stored.signature)) {
      const found: AuditChainBreak = {
        kind: 'forged_checkpoint',
        id: null,
        seq: checkpoint.seq,
        message: `the checkpoint at seq ${checkpoint.seq} does not carry a valid signature`,
      };
      return { ok: false, checked: 0, pending, checkpoint, head: null, break: found };
    }
    const walk = new ChainWalk(checkpoint ?? { seq: '0', hash: GENESIS_HASH });
    const found = await this.firstBreak(manager, walk);
    return {
      ok: !found,
      checked: walk.checked,
      pending,
      checkpoint,
      head: walk.head,
      break: found,
    };
  }

  private async firstBreak(
    manager: EntityManager,
    walk: ChainWalk,
  ): Promise<AuditChainBreak | null> {
    let rows = await this.events.findSealedAfter(manager, walk.start.seq, BATCH);
    while (rows.length > 0) {
      for (const row of rows) {
        const found = walk.check(row);
        if (found) return found;
      }
      rows = await this.events.findSealedAfter(manager, rows[rows.length - 1].seq!, BATCH);
    }
    return null;
  }
}

/** The state of one walk: what the next row must link to, and the rows just checked. */
class ChainWalk {
  checked = 0;
  head: ChainLink | null = null;
  private expected: ChainLink;
  private readonly recent: AuditEvent[] = [];

  constructor(readonly start: ChainLink) {
    this.expected = start;
  }

  /** The break `row` reveals, or null (then it becomes the head). */
  check(row: AuditEvent): AuditChainBreak | null {
    const named = (kind: AuditChainBreak['kind'], target: AuditEvent, message: string) => ({
      kind,
      id: target.id,
      seq: target.seq!,
      message: `row ${target.id} (seq ${target.seq}) ${message}`,
    });
    if (chainHash(row, row.prevHash!) !== row.hash) {
      return named('altered', row, 'was altered: its content does not match its hash');
    }
    if (row.prevHash !== this.expected.hash) {
      const linked = this.recent.findIndex((earlier) => earlier.hash === row.prevHash);
      if (linked >= 0) {
        return named('inserted', this.recent[linked + 1], 'was inserted into the chain');
      }
      return named(
        'removed',
        row,
        `follows rows that were removed (after seq ${this.expected.seq})`,
      );
    }
    const nextSeq = (BigInt(this.expected.seq) + 1n).toString();
    if (row.seq !== nextSeq) {
      return named('altered', row, `was renumbered: seq ${nextSeq} expected`);
    }
    this.recent.push(row);
    if (this.recent.length > LOOKBACK) this.recent.shift();
    this.expected = this.head = { seq: row.seq, hash: row.hash };
    this.checked += 1;
    return null;
  }
}
