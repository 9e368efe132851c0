import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { Role } from '../../common/role.enum.js';
import type { GrantType, TokenEndpointAuthMethod } from '../client-metadata.js';

/**
 * A registered OAuth client (RFC 7591 metadata): a service using the
 * client-credentials grant, or an app its users sign in to with the
 * authorization-code grant. Confidential clients hold a secret; public ones
 * (`token_endpoint_auth_method` `none`: SPAs, mobile and CLI apps) do not.
 */
@Entity({ name: 'oauth_clients' })
export class OAuthClient {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('UQ_oauth_clients_client_id', { unique: true })
  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId: string;

  /** `client_name`. */
  @Column({ type: 'varchar', length: 100 })
  name: string;

  /**
   * SHA-256 of the secret (the secret is 256 random bits, so a slow hash adds
   * nothing); `null` for a public client.
   */
  @Column({ name: 'secret_hash', type: 'bytea', nullable: true, select: false })
  secretHash?: Buffer | null;

  /** Exactly as registered; matched exactly (`redirectUriMatches`). */
  @Column({ name: 'redirect_uris', type: 'text', array: true, default: () => `'{}'` })
  redirectUris: string[];

  @Column({ name: 'post_logout_redirect_uris', type: 'text', array: true, default: () => `'{}'` })
  postLogoutRedirectUris: string[];

  @Column({ name: 'grant_types', type: 'text', array: true })
  grantTypes: GrantType[];

  @Column({ name: 'token_endpoint_auth_method', type: 'varchar', length: 32 })
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;

  /** Space-separated scopes the client may ask for; empty for a service. */
  @Column({ type: 'varchar', length: 200, default: '' })
  scope: string;

  /** Our own app: its users are not asked for consent. */
  @Column({ name: 'first_party', type: 'boolean', default: false })
  firstParty: boolean;

  /** Roles carried by the client's own tokens (client-credentials grant). */
  @Column({ type: 'text', array: true, default: () => `'{}'` })
  roles: Role[];

  @Column({ type: 'boolean', default: false })
  disabled: boolean;

  /** `client_id_issued_at`. */
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
