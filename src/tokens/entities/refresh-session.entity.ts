import { Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One refresh token of a session. A session is every row with the same
 * `sessionId` (the `sid` claim of its access tokens): each rotation spends
 * the current row and adds its successor. A spent row presented again is
 * reuse and revokes the whole session.
 */
@Entity({ name: 'refresh_sessions' })
@Index('IDX_refresh_sessions_user_live', ['userId'], {
  where: 'spent_at IS NULL AND revoked_at IS NULL',
})
export class RefreshSession {
  /** This token's row. */
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** The session this token belongs to (the column keeps its first name, the token family). */
  @Index('IDX_refresh_sessions_family')
  @Column({ name: 'family_id', type: 'uuid' })
  sessionId: string;

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

  /** When the session began: the sign-in. */
  @Column({ name: 'session_started_at', type: 'timestamptz' })
  sessionStartedAt: Date;

  /** When this token was issued, which is when the session was last used; the idle timeout counts from here. */
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  lastUsedAt: Date;

  /** Absolute end of the session, inherited by every rotation. */
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'spent_at', type: 'timestamptz', nullable: true })
  spentAt: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'revoked_reason', type: 'varchar', length: 32, nullable: true })
  revokedReason: string | null;

  /** The app the session was issued to (authorization-code grant); `null` for a direct sign-in. */
  @Column({ name: 'client_id', type: 'varchar', length: 64, nullable: true })
  clientId: string | null;

  /** The scopes granted to that app, carried by its access tokens. */
  @Column({ type: 'varchar', length: 200, nullable: true })
  scope: string | null;

  /** The browser sign-in it was issued through: ending that ends this session too. */
  @Index('IDX_refresh_sessions_sso_session')
  @Column({ name: 'sso_session_id', type: 'uuid', nullable: true })
  ssoSessionId: string | null;
}
