import { Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One refresh token. Every rotation spends the current row and adds a new one
 * with the same `familyId`; the family is the user's session (the `sid` claim
 * of its access tokens). A spent row presented again is reuse and revokes the
 * whole family.
 */
@Entity({ name: 'refresh_sessions' })
@Index('IDX_refresh_sessions_user_live', ['userId'], {
  where: 'spent_at IS NULL AND revoked_at IS NULL',
})
export class RefreshSession {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('IDX_refresh_sessions_family')
  @Column({ name: 'family_id', type: 'uuid' })
  familyId: string;

  /** Deleting the user deletes their sessions. The table is named rather than the entity, so tokens/ does not import users/. */
  @ForeignKey('users', { name: 'FK_refresh_sessions_user', onDelete: 'CASCADE' })
  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  /** SHA-256 of the opaque token; the token itself is never stored. */
  @Index('UQ_refresh_sessions_token_hash', { unique: true })
  @Column({ name: 'token_hash', type: 'bytea' })
  tokenHash: Buffer;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  /** When the family (the session) began: the login. */
  @Column({ name: 'session_started_at', type: 'timestamptz' })
  sessionStartedAt: Date;

  /** When this token was issued, i.e. when the session was last used. */
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  /** Absolute end of the session, inherited by every rotation. */
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'spent_at', type: 'timestamptz', nullable: true })
  spentAt: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'revoked_reason', type: 'varchar', length: 32, nullable: true })
  revokedReason: string | null;
}
