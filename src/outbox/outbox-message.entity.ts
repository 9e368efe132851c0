import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A message waiting to be delivered (a webhook call, a mail), written in the
 * transaction of what caused it, so that it exists exactly when its cause
 * committed. The worker leases it (`lockedUntil`), delivers it, and either
 * marks it delivered or schedules the next attempt.
 */
@Entity({ name: 'outbox_messages' })
@Index('IDX_outbox_messages_due', ['nextAttemptAt'], { where: 'delivered_at IS NULL' })
export class OutboxMessage {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_outbox_messages' })
  id: string;

  /** Which handler delivers it (`security_webhook`, …). */
  @Column({ type: 'varchar', length: 64 })
  kind: string;

  /**
   * What the handler needs; never a secret or a token in the clear (a mail's
   * links are sealed), and emptied on delivery when the handler asks.
   */
  @Column({ type: 'jsonb' })
  payload: Record<string, unknown>;

  /** Attempts started so far (a claim counts, even if its instance died). */
  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz' })
  nextAttemptAt: Date;

  /** While in the future, one instance holds the message; past it, any instance may claim it again. */
  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil: Date | null;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt: Date | null;

  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
