import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Where the chain starts after pruning: the `seq` and `hash` of the last
 * pruned row, signed (HMAC-SHA256 under a key derived from
 * KEY_ENCRYPTION_SECRET) so that a forged starting point is detected.
 * Verification starts from the checkpoint with the highest `seq`.
 */
@Entity({ name: 'audit_checkpoints' })
export class AuditCheckpoint {
  @PrimaryColumn({ type: 'bigint', primaryKeyConstraintName: 'PK_audit_checkpoints' })
  seq: string;

  @Column({ type: 'char', length: 64 })
  hash: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** HMAC-SHA256 (base64url) of `seq` and `hash`. */
  @Column({ type: 'varchar', length: 64 })
  signature: string;
}
