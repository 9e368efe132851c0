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
  /** The client the token was issued to: a service (client credentials) or an app a user signed in to. */
  client_id?: string;
  /** The scopes granted to that app (authorization-code grant). */
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
  /** `null` for a service's token. */
  userId: string | null;
  /** The service, or the app a user's token was issued to. */
  clientId: string | null;
  roles: Role[];
  sessionId: string | null;
  tokenId: string;
  issuedAt: number;
  expiresAt: number;
  claims: AccessTokenClaims;
}
