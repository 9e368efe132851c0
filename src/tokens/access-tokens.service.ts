import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { KeyObject } from 'node:crypto';
import { Clock, CLOCK_SKEW_SECONDS } from '../common/clock.js';
import type { Config } from '../config/config.js';
import { InjectConfig } from '../config/config.module.js';
import { ALL_ROLES, Role } from '../common/role.enum.js';
import type { AccessTokenClaims, Principal } from './access-token.claims.js';
import { SigningKeysService } from './signing-keys.service.js';
import { TokenError } from './token.error.js';
import { TokenRevocationService } from './token-revocation.service.js';

export const ACCESS_TOKEN_TYPE = 'at+jwt';
/** Headers that would let a token name its own key: never honoured, always refused. */
const FORBIDDEN_HEADERS = ['jku', 'x5u', 'jwk', 'x5c', 'crit'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface IssueAccessToken {
  subject: string;
  roles: Role[];
  sessionId?: string;
  clientId?: string;
  scope?: string;
}

export interface IssuedAccessToken {
  token: string;
  jti: string;
  expiresIn: number;
  issuedAt: number;
}

@Injectable()
export class AccessTokensService {
  constructor(
    private readonly jwt: JwtService,
    private readonly keys: SigningKeysService,
    private readonly clock: Clock,
    @InjectConfig() private readonly config: Config,
  ) {}

  issue(request: IssueAccessToken): IssuedAccessToken {
    const key = this.keys.activeKey();
    const jti = TokenRevocationService.newTokenId();
    const issuedAt = this.clock.nowSeconds();
    const expiresIn = this.config.auth.accessTokenTtl;
    const claims: Omit<AccessTokenClaims, 'iss' | 'aud' | 'exp' | 'sub' | 'jti'> = {
      iat: issuedAt,
      roles: request.roles,
      ...(request.sessionId ? { sid: request.sessionId } : {}),
      ...(request.clientId ? { client_id: request.clientId } : {}),
      ...(request.scope ? { scope: request.scope } : {}),
    };
    const token = this.jwt.sign(claims, {
      privateKey: key.signingKey as unknown as string,
      algorithm: key.algorithm,
      keyid: key.kid,
      header: { alg: key.algorithm, typ: ACCESS_TOKEN_TYPE, kid: key.kid },
      issuer: this.config.auth.issuer,
      audience: this.config.auth.audience,
      subject: request.subject,
      jwtid: jti,
      expiresIn,
    });
    return { token, jti, expiresIn, issuedAt };
  }

  /**
   * What every verification hands the JWT library: pinned algorithms, issuer
   * and audience. Expiry is left to `toPrincipal`, which reads the injected
   * clock (the library would read its own) and allows no grace.
   */
  get verifyOptions() {
    return {
      algorithms: [this.keys.algorithm, 'RS256', 'ES256', 'HS256'] as const,
      issuer: this.config.auth.issuer,
      audience: this.config.auth.audience,
      ignoreExpiration: true,
    };
  }

  /**
   * Chooses the verification key from the header: only a kid from our own
   * set, with the algorithm that key was made for, and no header that tries
   * to bring its own key.
   */
  keyForToken(rawToken: string): KeyObject {
    const header = decodeHeader(rawToken);
    if (FORBIDDEN_HEADERS.some((name) => name in header)) {
      throw new TokenError(
        'forbidden_header',
        'token header names its own key or critical extensions',
      );
    }
    if (header.typ !== ACCESS_TOKEN_TYPE) throw new TokenError('wrong_type', 'not an access token');
    const key = typeof header.kid === 'string' ? this.keys.verificationKey(header.kid) : undefined;
    if (!key) throw new TokenError('unknown_key', 'token signed with an unknown key');
    if (header.alg !== key.algorithm) throw new TokenError('malformed', 'unexpected algorithm');
    return key.verificationKey;
  }

  /**
   * Full verification outside the HTTP guard (introspection, revocation):
   * signature, issuer, audience, then `toPrincipal` (expiry and the rest).
   * Does not consult the blocklist; callers that need liveness ask
   * `BlocklistService` too.
   */
  async verify(rawToken: string): Promise<Principal> {
    const key = await this.resolveKey(rawToken);
    const options = this.verifyOptions;
    let payload: unknown;
    try {
      payload = this.jwt.verify(rawToken, {
        ...options,
        publicKey: key as unknown as string,
        algorithms: [...options.algorithms],
      });
    } catch {
      throw new TokenError('malformed', 'invalid token');
    }
    return this.toPrincipal(payload);
  }

  /** `keyForToken`, after one look at the database when the kid is not (yet) known here. */
  async resolveKey(rawToken: string): Promise<KeyObject> {
    try {
      return this.keyForToken(rawToken);
    } catch (error) {
      if (!(error instanceof TokenError && error.code === 'unknown_key')) throw error;
      if (!(await this.keys.reloadForUnknownKid())) throw error;
      return this.keyForToken(rawToken);
    }
  }

  /**
   * Checks expiry and what the JWT library leaves optional, and shapes the
   * caller. A token is refused from the second its `exp` names (RFC 7519
   * §4.1.4), with no allowance: this server issued it by its own clock.
   */
  toPrincipal(payload: unknown): Principal {
    const claims = payload as Partial<AccessTokenClaims>;
    if (typeof claims.exp !== 'number') throw new TokenError('bad_claims', 'token has no expiry');
    if (this.clock.now() >= claims.exp * 1000) throw new TokenError('expired', 'token has expired');
    if (
      typeof claims.iat !== 'number' ||
      claims.iat > this.clock.nowSeconds() + CLOCK_SKEW_SECONDS
    ) {
      throw new TokenError('bad_claims', 'token issued in the future');
    }
    if (claims.exp - claims.iat > this.config.auth.accessTokenTtl) {
      throw new TokenError('bad_claims', 'token lifetime exceeds policy');
    }
    if (
      typeof claims.sub !== 'string' ||
      typeof claims.jti !== 'string' ||
      !UUID.test(claims.jti)
    ) {
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
      userId: clientId ? null : claims.sub,
      clientId,
      roles: claims.roles,
      sessionId,
      tokenId: claims.jti,
      issuedAt: claims.iat,
      expiresAt: claims.exp,
      claims: claims as AccessTokenClaims,
    };
  }
}

function decodeHeader(rawToken: string): Record<string, unknown> {
  const [encoded, , signature] = rawToken.split('.');
  if (!encoded || signature === undefined) throw new TokenError('malformed', 'malformed token');
  try {
    const header: unknown = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
    if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new Error();
    return header as Record<string, unknown>;
  } catch {
    throw new TokenError('malformed', 'malformed token');
  }
}
