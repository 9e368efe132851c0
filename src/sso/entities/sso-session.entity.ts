import {
  Column,
  CreateDateColumn,
  Entity,
  ForeignKey,
  Index,
  PrimaryGeneratedColumn,
} from 'typeorm';

/**
 * A browser's sign-in on the hosted page: the `__Host-sso` cookie holds an
 * opaque token whose SHA-256 is `tokenHash`. While it lasts, every app's
 * authorization request completes without the form. Its `id` is the `sid`
 * claim of the ID tokens issued through it.
 */
@Entity({ name: 'sso_sessions' })
@Index('IDX_sso_sessions_user_live', ['userId'], { where: 'ended_at IS NULL' })
export class SsoSession {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_sso_sessions' })
  id: string;

  /** SHA-256 of the cookie's token; the token itself is never stored. */
  @Index('UQ_sso_sessions_token_hash', { unique: true })
  @Column({ name: 'token_hash', type: 'bytea' })
  tokenHash: Buffer;

  @ForeignKey('users', { name: 'FK_sso_sessions_user', onDelete: 'CASCADE' })
  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  /** When the user last entered their password here: the ID token's `auth_time`. */
  @Column({ name: 'auth_time', type: 'timestamptz' })
  authTime: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  /** Set at sign-out (the end-session endpoint, logout everywhere). */
  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt: Date | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
