import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';

/**
 * An authorization code (RFC 6749 §4.1.2): single use, short-lived, and
 * bound to everything the token request must present again. Stored by its
 * SHA-256; kept a while after use so that a replay is recognised and the
 * session issued from the first use revoked.
 */
@Entity({ name: 'authorization_codes' })
export class AuthorizationCode {
  @PrimaryColumn({
    name: 'code_hash',
    type: 'bytea',
    primaryKeyConstraintName: 'PK_authorization_codes',
  })
  codeHash: Buffer;

  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId: string;

  @ForeignKey('users', { name: 'FK_authorization_codes_user', onDelete: 'CASCADE' })
  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  /** The SSO session the user was signed in with (`sid` of the ID token). */
  @Column({ name: 'sso_session_id', type: 'uuid' })
  ssoSessionId: string;

  @Column({ name: 'redirect_uri', type: 'text' })
  redirectUri: string;

  @Column({ type: 'varchar', length: 200 })
  scope: string;

  @Column({ type: 'varchar', length: 255 })
  nonce: string;

  /** PKCE S256 challenge (RFC 7636). */
  @Column({ name: 'code_challenge', type: 'varchar', length: 128 })
  codeChallenge: string;

  @Column({ name: 'auth_time', type: 'timestamptz' })
  authTime: Date;

  @Index('IDX_authorization_codes_expires_at')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'redeemed_at', type: 'timestamptz', nullable: true })
  redeemedAt: Date | null;

  /** The refresh session the first redemption started. */
  @Column({ name: 'session_id', type: 'uuid', nullable: true })
  sessionId: string | null;

  /** Set when the code came back after its first use. */
  @Column({ name: 'replayed_at', type: 'timestamptz', nullable: true })
  replayedAt: Date | null;
}
