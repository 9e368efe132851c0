import { CLOCK_SKEW_SECONDS } from '../common/clock.js';
import type { AccessTokenClaims, Principal } from '../common/principal.js';
import { ALL_ROLES } from '../common/role.enum.js';
import { TokenError } from './token.error.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface ClaimRules {
  /** Now, in milliseconds, by the app's clock. */
  nowMs: number;
  /** The longest lifetime (`exp - iat`) a token of ours can have: ACCESS_TOKEN_TTL. */
  maxLifetimeSeconds: number;
}

/**
 * Checks what the JWT library leaves to us (expiry included) and shapes the
 * caller. A token is refused from the second its `exp` names (RFC 7519
 * §4.1.4), with no allowance: this server issued it by its own clock.
 */
export function principalFromClaims(payload: unknown, rules: ClaimRules): Principal {
  const claims = payload as Partial<AccessTokenClaims>;
  assertTimes(claims, rules);
  if (typeof claims.sub !== 'string' || typeof claims.jti !== 'string' || !UUID.test(claims.jti)) {
    throw new TokenError('bad_claims', 'token lacks a subject or id');
  }
  if (!Array.isArray(claims.roles) || !claims.roles.every((role) => ALL_ROLES.includes(role))) {
    throw new TokenError('bad_claims', 'token roles are malformed');
  }
  const clientId = typeof claims.client_id === 'string' ? claims.client_id : null;
  const sessionId = typeof claims.sid === 'string' && UUID.test(claims.sid) ? claims.sid : null;
  if (!clientId && !sessionId) throw new TokenError('bad_claims', 'token lacks a session');
  return {
    subject: claims.sub,
    // A service's token has a client and no session; a user's token issued to an app has both.
    userId: sessionId ? claims.sub : null,
    clientId,
    roles: claims.roles,
    sessionId,
    tokenId: claims.jti,
    issuedAt: claims.iat!,
    expiresAt: claims.exp!,
    claims: claims as AccessTokenClaims,
  };
}

/** `exp` not reached (no grace), `iat` at most the clock skew ahead, a lifetime within policy. */
function assertTimes(
  claims: Partial<AccessTokenClaims>,
  { nowMs, maxLifetimeSeconds }: ClaimRules,
) {
  if (typeof claims.exp !== 'number') throw new TokenError('bad_claims', 'token has no expiry');
  if (nowMs >= claims.exp * 1000) throw new TokenError('expired', 'token has expired');
  if (
    typeof claims.iat !== 'number' ||
    claims.iat > Math.floor(nowMs / 1000) + CLOCK_SKEW_SECONDS
  ) {
    throw new TokenError('bad_claims', 'token issued in the future');
  }
  if (claims.exp - claims.iat > maxLifetimeSeconds) {
    throw new TokenError('bad_claims', 'token lifetime exceeds policy');
  }
}
