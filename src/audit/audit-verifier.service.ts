import { Injectable } from '@nestjs/common';
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
    private readonly events: AuditEventsRepository,
    private readonly signer: AuditCheckpointSigner,
  ) {}

  async verify(): Promise<AuditVerification> {
    const stored = await this.events.findLatestCheckpoint();
    const checkpoint = stored ? { seq: stored.seq, hash: stored.hash } : null;
    const result = (checked: number, head: ChainLink | null, found: AuditChainBreak | null) =>
      this.result(checkpoint, checked, head, found);
    if (stored && !this.signer.isValid(checkpoint!, stored.signature)) {
      return result(0, null, {
        kind: 'forged_checkpoint',
        id: null,
        seq: stored.seq,
        message: `the checkpoint at seq ${stored.seq} does not carry a valid signature`,
      });
    }
    const walk = new ChainWalk(checkpoint ?? { seq: '0', hash: GENESIS_HASH });
    for (let rows = await this.events.findSealedAfter(walk.start.seq, BATCH); rows.length > 0;) {
      for (const row of rows) {
        const found = walk.check(row);
        if (found) return result(walk.checked, walk.head, found);
      }
      rows = await this.events.findSealedAfter(rows[rows.length - 1].seq!, BATCH);
    }
    return result(walk.checked, walk.head, null);
  }

  private async result(
    checkpoint: ChainLink | null,
    checked: number,
    head: ChainLink | null,
    found: AuditChainBreak | null,
  ): Promise<AuditVerification> {
    const pending = await this.events.countPending();
    return { ok: !found, checked, pending, checkpoint, head, break: found };
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
