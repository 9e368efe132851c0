import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { OutboxMessage } from './outbox-message.entity.js';

/** A message as a worker claimed it. */
export type ClaimedMessage = Pick<OutboxMessage, 'id' | 'kind' | 'payload' | 'attempts'>;

/** Undelivered messages of one kind. */
export interface PendingMessages {
  kind: string;
  count: number;
  oldestCreatedAt: Date;
}

/** The outbox table. Every time is passed in (the app's clock), never the database's `now()`. */
@Injectable()
export class OutboxMessagesRepository {
  constructor(
    @InjectRepository(OutboxMessage) private readonly messages: Repository<OutboxMessage>,
  ) {}

  /** Writes through `manager`, so the message commits or rolls back with the caller's transaction. */
  async insert(
    message: Pick<OutboxMessage, 'kind' | 'payload' | 'nextAttemptAt' | 'createdAt'>,
    manager: EntityManager = this.messages.manager,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO ${this.table()} (kind, payload, next_attempt_at, created_at) VALUES ($1, $2, $3, $4)`,
      [message.kind, JSON.stringify(message.payload), message.nextAttemptAt, message.createdAt],
    );
  }

  /**
   * Leases up to `limit` due messages until `lockedUntil`, in one statement.
   * `SKIP LOCKED` passes over rows another instance is claiming right now, and
   * the lease keeps them from everyone else until it expires.
   */
  claimDue(now: Date, lockedUntil: Date, limit: number): Promise<ClaimedMessage[]> {
    const table = this.table();
    return this.messages.query(
      `WITH claimed AS (
         UPDATE ${table} SET locked_until = $2, attempts = attempts + 1
         WHERE id IN (
           SELECT id FROM ${table}
           WHERE delivered_at IS NULL AND next_attempt_at <= $1
             AND (locked_until IS NULL OR locked_until <= $1)
           ORDER BY next_attempt_at
           LIMIT $3
           FOR UPDATE SKIP LOCKED)
         RETURNING id, kind, payload, attempts
       )
       SELECT * FROM claimed`,
      [now, lockedUntil, limit],
    );
  }

  /** With `scrub`, the payload is emptied: the row keeps only that and when it was delivered. */
  async markDelivered(id: string, at: Date, scrub = false): Promise<void> {
    await this.messages.update(id, {
      deliveredAt: at,
      lockedUntil: null,
      lastError: null,
      ...(scrub ? { payload: {} } : {}),
    });
  }

  async markFailed(id: string, nextAttemptAt: Date, error: string): Promise<void> {
    await this.messages.update(id, { nextAttemptAt, lockedUntil: null, lastError: error });
  }

  /** A message given up (its handler found it undeliverable). */
  async delete(id: string): Promise<void> {
    await this.messages.delete(id);
  }

  async pending(): Promise<PendingMessages[]> {
    const rows: { kind: string; count: number; oldest: Date }[] = await this.messages
      .createQueryBuilder('message')
      .select('message.kind', 'kind')
      .addSelect('count(*)::int', 'count')
      .addSelect('min(message.created_at)', 'oldest')
      .where('message.delivered_at IS NULL')
      .groupBy('message.kind')
      .getRawMany();
    return rows.map(({ kind, count, oldest }) => ({ kind, count, oldestCreatedAt: oldest }));
  }

  async deleteDeliveredBefore(before: Date): Promise<number> {
    const result = await this.messages
      .createQueryBuilder()
      .delete()
      .where('delivered_at < :before', { before })
      .execute();
    return result.affected ?? 0;
  }

  private table(): string {
    return this.messages.metadata.tablePath
      .split('.')
      .map((part) => `"${part}"`)
      .join('.');
  }
}
