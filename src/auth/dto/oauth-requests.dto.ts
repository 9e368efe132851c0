import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import type { Principal } from '../../common/principal.js';
import type { RefreshSession } from '../../tokens/entities/refresh-session.entity.js';

export const GRANT_TYPES = [
  'authorization_code',
  'password',
  'refresh_token',
  'client_credentials',
] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

/** Client authentication in the body (RFC 6749 §2.3.1); HTTP Basic is the alternative, never both. */
export class ClientCredentialsFields {
  @IsOptional()
  @IsString()
  @MaxLength(128)
  client_id?: string;

  @IsOptional()
  @IsString()
  @MaxLength(256)
  client_secret?: string;
}

/** RFC 6749 token request, form-encoded. Unknown parameters are ignored, as §3.2 requires. */
export class TokenRequestDto extends ClientCredentialsFields {
  /** authorization_code, password, refresh_token or client_credentials */
  @IsString()
  @MaxLength(64)
  grant_type: string;

  /** The authorization code (authorization_code grant). */
  @IsOptional()
  @IsString()
  @MaxLength(128)
  code?: string;

  /** The redirect URI of the authorization request, exactly (authorization_code grant). */
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  redirect_uri?: string;

  /** The PKCE verifier whose S256 was the code_challenge (authorization_code grant). */
  @IsOptional()
  @IsString()
  @MaxLength(128)
  code_verifier?: string;

  /** Username or email (password grant). */
  @IsOptional()
  @IsString()
  @MaxLength(254)
  username?: string;

  /** Password (password grant). */
  @IsOptional()
  @IsString()
  @MaxLength(128)
  password?: string;

  /** Refresh token (refresh_token grant). */
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  refresh_token?: string;

  /** Accepted and ignored: access is expressed by roles. */
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  scope?: string;
}

/** RFC 7009 revocation request. */
export class RevokeRequestDto extends ClientCredentialsFields {
  @IsString()
  @MaxLength(4096)
  token: string;

  @IsOptional()
  @IsIn(['access_token', 'refresh_token'])
  token_type_hint?: string;
}

/** RFC 7662 introspection request. */
export class IntrospectRequestDto extends ClientCredentialsFields {
  @IsString()
  @MaxLength(4096)
  token: string;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  token_type_hint?: string;
}

/** RFC 7662 §2.2. An inactive token is exactly `{ "active": false }`. */
export class IntrospectionResponseDto {
  active: boolean;
  token_type?: 'access_token' | 'refresh_token';
  sub?: string;
  client_id?: string;
  roles?: string[];
  sid?: string;
  jti?: string;
  iss?: string;
  aud?: string;
  iat?: number;
  exp?: number;
}

export const INACTIVE_TOKEN: IntrospectionResponseDto = Object.freeze({ active: false });

/** A live access token, as its verified claims read. */
export function toAccessTokenIntrospection({ claims }: Principal): IntrospectionResponseDto {
  return {
    active: true,
    token_type: 'access_token',
    sub: claims.sub,
    ...(claims.client_id ? { client_id: claims.client_id } : {}),
    roles: claims.roles,
    ...(claims.sid ? { sid: claims.sid } : {}),
    jti: claims.jti,
    iss: claims.iss,
    aud: claims.aud,
    iat: claims.iat,
    exp: claims.exp,
  };
}

/** A refresh token that is its session's current one: issued at its last use. */
export function toRefreshTokenIntrospection(session: RefreshSession): IntrospectionResponseDto {
  return {
    active: true,
    token_type: 'refresh_token',
    sub: session.userId,
    sid: session.sessionId,
    iat: Math.floor(session.lastUsedAt.getTime() / 1000),
    exp: Math.floor(session.expiresAt.getTime() / 1000),
  };
}
