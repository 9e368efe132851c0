import {
  Column,
  CreateDateColumn,
  Entity,
  ForeignKey,
  Index,
  PrimaryGeneratedColumn,
} from 'typeorm';

/** What a token in a mail lets its holder do; a token is only ever accepted for its own purpose. */
export type AccountTokenPurpose =
  'verify_email' | 'change_email' | 'report_email_change' | 'reset_password';

/**
 * A single-use token sent by mail. Only its SHA-256 is stored, so a copy of
 * the database hands out no working link. Spent or voided tokens keep
 * `used_at`; expired ones are simply refused.
 */
@Entity({ name: 'account_tokens' })
@Index('IDX_account_tokens_user_purpose', ['userId', 'purpose'])
export class AccountToken {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_account_tokens' })
  id: string;

  @ForeignKey('users', { name: 'FK_account_tokens_user', onDelete: 'CASCADE' })
  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ type: 'text' })
  purpose: AccountTokenPurpose;

  @Index('UQ_account_tokens_token_hash', { unique: true })
  @Column({ name: 'token_hash', type: 'bytea' })
  tokenHash: Buffer;

  /** The new address, for an e-mail change. */
  @Column({ type: 'varchar', length: 254, nullable: true })
  email: string | null;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  /** When the token was spent, or voided by a newer one of its purpose. */
  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
