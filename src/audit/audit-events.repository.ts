import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import {
  And,
  EntityManager,
  FindOptionsWhere,
  In,
  IsNull,
  LessThan,
  LessThanOrEqual,
  MoreThan,
  MoreThanOrEqual,
  Not,
  Repository,
} from 'typeorm';
import type { ChainLink } from './audit-chain.js';
import { AuditCheckpoint } from './entities/audit-checkpoint.entity.js';
import { AuditEvent } from './entities/audit-event.entity.js';

/** What the admin listing and the export select rows by; every part optional. */
export interface AuditFilter {
  subjectType?: string;
  subjectId?: string;
  actorId?: string;
  action?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

/** The chain's rows and checkpoints. Methods given a `manager` run in that transaction. */
@Injectable()
export class AuditEventsRepository {
  constructor(@InjectRepository(AuditEvent) private readonly events: Repository<AuditEvent>) {}

  /** One raw INSERT (every audited request makes one), in `manager`'s transaction when given. */
  async append(
    row: Omit<AuditEvent, 'id' | 'seq' | 'prevHash' | 'hash'>,
    manager: EntityManager = this.events.manager,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO "audit_events" (occurred_at, actor_type, actor_id, subject_type, subject_id,
         action, outcome, reason, ip, user_agent, request_id, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        row.occurredAt,
        row.actorType,
        row.actorId,
        row.subjectType,
        row.subjectId,
        row.action,
        row.outcome,
        row.reason,
        row.ip,
        row.userAgent,
        row.requestId,
        row.details === null ? null : JSON.stringify(row.details),
      ],
    );
  }

  /**
   * Takes the chain's lock (one per schema) until `manager`'s transaction
   * ends: waits for it when `wait`, else answers false at once if another
   * transaction holds it.
   */
  async lockChain(manager: EntityManager, wait: boolean): Promise<boolean> {
    const key = `hashtext(current_schema() || '.audit_chain')`;
    if (wait) {
      await manager.query(`SELECT pg_advisory_xact_lock(${key})`);
      return true;
    }
    const [row] = await manager.query<{ locked: boolean }[]>(
      `SELECT pg_try_advisory_xact_lock(${key}) AS locked`,
    );
    return row.locked;
  }

  findPending(manager: EntityManager, limit: number): Promise<AuditEvent[]> {
    return manager.find(AuditEvent, {
      where: { seq: IsNull() },
      order: { id: 'ASC' },
      take: limit,
    });
  }

  /** One cheap read, so that an idle sealer opens no transaction. */
  hasPending(): Promise<boolean> {
    return this.events.exists({ where: { seq: IsNull() } });
  }

  countPending(manager: EntityManager): Promise<number> {
    return manager.count(AuditEvent, { where: { seq: IsNull() } });
  }

  /** The last sealed row's link, or null when no sealed row is left. */
  async findLastSealed(manager: EntityManager): Promise<ChainLink | null> {
    const row = await manager.findOne(AuditEvent, {
      where: { seq: Not(IsNull()) },
      order: { seq: 'DESC' },
      select: { seq: true, hash: true },
    });
    return row ? { seq: row.seq!, hash: row.hash! } : null;
  }

  /** Gives each row its place: one UPDATE for the batch. */
  async seal(manager: EntityManager, rows: AuditEvent[]): Promise<void> {
    await manager.query(
      `UPDATE audit_events AS e SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash
       FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS v(id, seq, prev_hash, hash)
       WHERE e.id = v.id AND e.seq IS NULL`,
      [
        rows.map((r) => r.id),
        rows.map((r) => r.seq),
        rows.map((r) => r.prevHash),
        rows.map((r) => r.hash),
      ],
    );
  }

  /** Sealed rows after `afterSeq`, in chain order. */
  findSealedAfter(manager: EntityManager, afterSeq: string, limit: number): Promise<AuditEvent[]> {
    return manager.find(AuditEvent, {
      where: { seq: MoreThan(afterSeq) },
      order: { seq: 'ASC' },
      take: limit,
    });
  }

  findLatestCheckpoint(manager: EntityManager): Promise<AuditCheckpoint | null> {
    return manager.findOne(AuditCheckpoint, { where: {}, order: { seq: 'DESC' } });
  }

  /**
   * The last row of the longest sealed prefix of the chain whose rows all
   * occurred before `before` (times are not in `seq` order: a row can be
   * sealed after a younger one), or null when there is none.
   */
  async findLastPrunable(manager: EntityManager, before: Date): Promise<ChainLink | null> {
    const [firstKept] = await manager.find(AuditEvent, {
      where: { seq: Not(IsNull()), occurredAt: MoreThanOrEqual(before) },
      order: { seq: 'ASC' },
      take: 1,
      select: { seq: true },
    });
    const row = await manager.findOne(AuditEvent, {
      where: { seq: firstKept ? LessThan(firstKept.seq!) : Not(IsNull()) },
      order: { seq: 'DESC' },
      select: { seq: true, hash: true },
    });
    return row ? { seq: row.seq!, hash: row.hash! } : null;
  }

  /** Saves the checkpoint and deletes the rows it replaces, in `manager`'s transaction. */
  async pruneThrough(manager: EntityManager, checkpoint: AuditCheckpoint): Promise<number> {
    await manager.insert(AuditCheckpoint, checkpoint);
    const result = await manager.delete(AuditEvent, { seq: LessThanOrEqual(checkpoint.seq) });
    return result.affected ?? 0;
  }

  /** A page of matching rows, newest first, and how many match in all. */
  findPage(filter: AuditFilter, page: number, limit: number): Promise<[AuditEvent[], number]> {
    return this.events.findAndCount({
      where: whereOf(filter),
      order: { occurredAt: 'DESC', id: 'DESC' },
      skip: (page - 1) * limit,
      take: limit,
    });
  }

  /** Matching rows after `afterId`, oldest first (the export's pages). */
  findAfterId(filter: AuditFilter, afterId: string, limit: number): Promise<AuditEvent[]> {
    return this.events.find({
      where: { ...whereOf(filter), id: MoreThan(afterId) },
      order: { id: 'ASC' },
      take: limit,
    });
  }

  /** A user's own latest events of the given actions. */
  findRecentAbout(userId: string, actions: string[], limit: number): Promise<AuditEvent[]> {
    return this.events.find({
      where: { subjectType: 'user', subjectId: userId, action: In(actions) },
      order: { occurredAt: 'DESC', id: 'DESC' },
      take: limit,
    });
  }
}

function whereOf(filter: AuditFilter): FindOptionsWhere<AuditEvent> {
  const time = [
    ...(filter.from ? [MoreThanOrEqual(filter.from)] : []),
    ...(filter.to ? [LessThan(filter.to)] : []),
  ];
  return {
    ...(filter.subjectType !== undefined && { subjectType: filter.subjectType }),
    ...(filter.subjectId !== undefined && { subjectId: filter.subjectId }),
    ...(filter.actorId !== undefined && { actorId: filter.actorId }),
    ...(filter.action !== undefined && { action: filter.action }),
    ...(time.length > 0 && { occurredAt: And(...time) }),
  };
}
