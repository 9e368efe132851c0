import type { Role } from './role.enum.js';

/** The claims of our access tokens (RFC 9068 profile). */
export interface AccessTokenClaims {
  iss: string;
  aud: string;
  sub: string;
  iat: number;
  exp: number;
  jti: string;
  /** Refresh-session id; absent on client-credentials tokens. */
  sid?: string;
  roles: Role[];
  /** Present on client-credentials tokens. */
  client_id?: string;
  scope?: string;
}

/**
 * The verified caller, as guards and handlers see it: a signed-in user, or a
 * service client (client-credentials grant). Built from a verified access
 * token by `AccessTokensService`.
 */
export interface Principal {
  /** `sub`: a user id, or `client:<client_id>` for a service. */
  subject: string;
  userId: string | null;
  clientId: string | null;
  roles: Role[];
  sessionId: string | null;
  tokenId: string;
  issuedAt: number;
  expiresAt: number;
  claims: AccessTokenClaims;
}
