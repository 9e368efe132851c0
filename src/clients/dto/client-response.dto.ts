import { Role } from '../../common/role.enum.js';
import type { GrantType, TokenEndpointAuthMethod } from '../client-metadata.js';
import type { OAuthClient } from '../entities/oauth-client.entity.js';

/** A registered client in RFC 7591 §3.2.1 terms (never its secret). */
export class ClientResponseDto {
  /** @example app_3qH6F0bq9Zk2mB1x */
  client_id: string;
  /** Seconds since the epoch. */
  client_id_issued_at: number;
  client_name: string;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  grant_types: GrantType[];
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  scope: string;
  first_party: boolean;
  roles: Role[];
  disabled: boolean;
  /** Deprecated: the same as `client_name`. */
  name: string;
  /** Deprecated: `client_id_issued_at` as a date. */
  createdAt: Date;
}

export class CreatedClientResponseDto extends ClientResponseDto {
  /** Confidential clients only; shown once, now (only a hash is stored). */
  client_secret?: string;
  /** With a secret: 0, it does not expire. */
  client_secret_expires_at?: number;
}

export function toClientResponse(client: OAuthClient): ClientResponseDto {
  return {
    client_id: client.clientId,
    client_id_issued_at: Math.floor(client.createdAt.getTime() / 1000),
    client_name: client.name,
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    grant_types: client.grantTypes,
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
    scope: client.scope,
    first_party: client.firstParty,
    roles: client.roles,
    disabled: client.disabled,
    name: client.name,
    createdAt: client.createdAt,
  };
}

export function toCreatedClientResponse(
  client: OAuthClient,
  secret: string | null,
): CreatedClientResponseDto {
  const response = toClientResponse(client);
  return secret === null
    ? response
    : { ...response, client_secret: secret, client_secret_expires_at: 0 };
}
