import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One row of the audit trail. A request appends it plain (`seq`, `prevHash`
 * and `hash` null) in its own transaction; the sealer then gives it the next
 * place in the chain: `seq`, the hash of the row before it, and its own
 * SHA-256 over its content and that hash (`audit-chain.ts`). The chain's
 * order is `seq`, not `id`: a row can commit after a row with a higher id was
 * sealed. No foreign keys: the trail outlives the users and clients it names.
 */
@Entity({ name: 'audit_events' })
@Index('IDX_audit_events_pending', ['id'], { where: 'seq IS NULL' })
@Index('IDX_audit_events_subject', ['subjectType', 'subjectId', 'occurredAt'])
export class AuditEvent {
  /** bigint: the driver returns it as a string. */
  @PrimaryGeneratedColumn('identity', {
    type: 'bigint',
    generatedIdentity: 'ALWAYS',
    primaryKeyConstraintName: 'PK_audit_events',
  })
  id: string;

  @Index('IDX_audit_events_occurred_at')
  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt: Date;

  /** `user`, `client`, `system`, `cli` or `anonymous`. */
  @Column({ name: 'actor_type', type: 'varchar', length: 16 })
  actorType: string;

  @Index('IDX_audit_events_actor_id')
  @Column({ name: 'actor_id', type: 'varchar', length: 128, nullable: true })
  actorId: string | null;

  /** `user`, `client`, `key` or `session`. */
  @Column({ name: 'subject_type', type: 'varchar', length: 16, nullable: true })
  subjectType: string | null;

  @Column({ name: 'subject_id', type: 'varchar', length: 128, nullable: true })
  subjectId: string | null;

  /** A name of `SECURITY_ACTIONS`. */
  @Index('IDX_audit_events_action')
  @Column({ type: 'varchar', length: 64 })
  action: string;

  /** `success` or `failure`. */
  @Column({ type: 'varchar', length: 16 })
  outcome: string;

  @Column({ type: 'varchar', length: 64, nullable: true })
  reason: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @Column({ name: 'request_id', type: 'varchar', length: 64, nullable: true })
  requestId: string | null;

  /** Small, non-secret facts of the event. */
  @Column({ type: 'jsonb', nullable: true })
  details: Record<string, string | number | boolean | null | string[]> | null;

  /** The row's place in the chain, given by the sealer; null until sealed. */
  @Index('UQ_audit_events_seq', { unique: true })
  @Column({ type: 'bigint', nullable: true })
  seq: string | null;

  /** `hash` of the row at `seq - 1` (or of the checkpoint, or 64 zeros for the first row), hex. */
  @Column({ name: 'prev_hash', type: 'char', length: 64, nullable: true })
  prevHash: string | null;

  /** SHA-256 (hex) over this row's content and `prevHash`. */
  @Column({ type: 'char', length: 64, nullable: true })
  hash: string | null;
}
