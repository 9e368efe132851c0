import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * An access token revoked on its own, by its `jti` (`POST /oauth/revoke`,
 * the token presented at logout). The blocklist holds the same fact for fast
 * checks; this row is what rebuilds it if Redis loses its data or the
 * in-process store restarts. Deleted by housekeeping once the token has
 * expired. No foreign key: it must outlive a deleted user.
 */
@Entity({ name: 'revoked_access_tokens' })
export class RevokedAccessToken {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_revoked_access_tokens' })
  jti: string;

  /** The token's `exp`: after this the row covers nothing. */
  @Index('IDX_revoked_access_tokens_expires_at')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}
