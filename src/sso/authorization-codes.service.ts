import { Injectable } from '@nestjs/common';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { hashOpaqueToken, isOpaqueToken, newOpaqueToken } from '../common/opaque-token.js';
import { SecurityEventsService } from '../audit/security-events.service.js';
import { Clock } from '../common/clock.js';
import { TokenRevocationService } from '../tokens/token-revocation.service.js';
import type { AuthorizationRequest } from './authorization-request.js';
import { AuthorizationCodesRepository } from './authorization-codes.repository.js';
import { AuthorizationCode } from './entities/authorization-code.entity.js';
import type { SsoSession } from './entities/sso-session.entity.js';

/** How long a code may wait for its token request (RFC 6749 §4.1.2 advises at most 10 minutes). */
export const CODE_TTL_SECONDS = 60;
/** Used and expired codes are kept this long, so that a late replay is still recognised. */
const KEEP_SECONDS = 3600;
/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
const VERIFIER_PATTERN = /^[A-Za-z0-9._~-]{43,128}$/;

/** The code cannot be exchanged: RFC 6749's `invalid_grant`. */
export class InvalidAuthorizationCodeError extends Error {}

/** What the token request must present with the code. */
export interface CodeRedemption {
  code: string;
  clientId: string;
  redirectUri: string;
  codeVerifier: string;
}

/** A redeemed code: what it was bound to, and the id of the session to start for it. */
export interface RedeemedCode {
  code: AuthorizationCode;
  sessionId: string;
}

/**
 * Authorization codes: 256 random bits, stored hashed, single use, short
 * lived, bound to the client, redirect URI, PKCE challenge, nonce, scope and
 * sign-in. A code presented a second time is refused and the session its
 * first use started is revoked (RFC 6749 §4.1.2).
 */
@Injectable()
export class AuthorizationCodesService {
  constructor(
    private readonly codes: AuthorizationCodesRepository,
    private readonly revocation: TokenRevocationService,
    private readonly events: SecurityEventsService,
    private readonly clock: Clock,
  ) {}

  async issue(request: AuthorizationRequest, sso: SsoSession): Promise<string> {
    const code = newOpaqueToken();
    const now = this.clock.now();
    await this.codes.deleteExpiredBefore(new Date(now - KEEP_SECONDS * 1000));
    const row = new AuthorizationCode();
    Object.assign(row, {
      codeHash: hashOpaqueToken(code),
      clientId: request.clientId,
      userId: sso.userId,
      ssoSessionId: sso.id,
      redirectUri: request.redirectUri,
      scope: request.scope,
      nonce: request.nonce,
      codeChallenge: request.codeChallenge,
      authTime: sso.authTime,
      expiresAt: new Date(now + CODE_TTL_SECONDS * 1000),
    });
    await this.codes.insert(row);
    return code;
  }

  /**
   * Checks the bindings (a mismatch leaves the code usable by its rightful
   * client), then claims the code. Throws `InvalidAuthorizationCodeError`.
   */
  async redeem(redemption: CodeRedemption): Promise<RedeemedCode> {
    if (!isOpaqueToken(redemption.code)) throw refused('The code is invalid');
    const codeHash = hashOpaqueToken(redemption.code);
    const code = await this.codes.findByHash(codeHash);
    if (!code) throw refused('The code is invalid');
    if (code.redeemedAt) return this.replayed(code);
    if (code.clientId !== redemption.clientId)
      throw refused('The code was issued to another client');
    if (code.redirectUri !== redemption.redirectUri) {
      throw refused('redirect_uri differs from the authorization request');
    }
    if (!pkceMatches(redemption.codeVerifier, code.codeChallenge)) {
      throw refused('code_verifier does not match the code_challenge');
    }
    if (code.expiresAt.getTime() <= this.clock.now()) throw refused('The code has expired');
    const sessionId = randomUUID();
    if (!(await this.codes.claim(codeHash, sessionId))) return this.replayed(code);
    return { code, sessionId };
  }

  /**
   * After the session of a redemption started: if the code came back in the
   * meantime, the replay could not revoke the session yet, so it is revoked here.
   */
  async settle({ code, sessionId }: RedeemedCode): Promise<void> {
    if (await this.codes.wasReplayed(code.codeHash)) {
      await this.revocation.revokeSession(sessionId, 'code_replay');
    }
  }

  private async replayed(code: AuthorizationCode): Promise<never> {
    const first = await this.codes.markReplayed(code.codeHash);
    if (first?.sessionId) await this.revocation.revokeSession(first.sessionId, 'code_replay');
    await this.events.record({
      action: 'oauth.code.replayed',
      outcome: 'failure',
      subject: { type: 'user', id: code.userId },
      details: { clientId: code.clientId, sessionId: first?.sessionId ?? null },
    });
    throw refused('The code has already been used');
  }
}

function refused(message: string): InvalidAuthorizationCodeError {
  return new InvalidAuthorizationCodeError(message);
}

/** RFC 7636 §4.6: BASE64URL(SHA256(verifier)) equals the challenge, compared in constant time. */
export function pkceMatches(verifier: string, challenge: string): boolean {
  if (!VERIFIER_PATTERN.test(verifier)) return false;
  const computed = Buffer.from(createHash('sha256').update(verifier).digest('base64url'));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}
