import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { KeyObject } from 'node:crypto';
import { Clock } from '../common/clock.js';
import type { AccessTokenClaims, Principal } from '../common/principal.js';
import type { Role } from '../common/role.enum.js';
import type { Config } from '../config/config.js';
import { InjectConfig } from '../config/config.module.js';
import { principalFromClaims } from './access-token-claims.js';
import { BlocklistService } from './blocklist.service.js';
import { SigningKeysService } from './signing-keys.service.js';
import { signJws } from './jws-signer.js';
import { newTokenId } from './token-id.js';
import { TokenError } from './token.error.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

export const ACCESS_TOKEN_TYPE = 'at+jwt';
/** Headers that would let a token name its own key: never honoured, always refused. */
const FORBIDDEN_HEADERS = ['jku', 'x5u', 'jwk', 'x5c', 'crit'];

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

/**
 * Issues access tokens, and is the one place that verifies them: the JWT
 * guard (through Passport), introspection and revocation all call
 * `authenticate` or `verify`.
 */
@Injectable()
export class AccessTokensService {
  private readonly verifiers = new WeakMap<KeyObject, JwtService>();

  constructor(
    private readonly keys: SigningKeysService,
    private readonly verifiedTokens: VerifiedTokenCache,
    private readonly blocklist: BlocklistService,
    private readonly clock: Clock,
    @InjectConfig() private readonly config: Config,
  ) {}

  async issue(request: IssueAccessToken): Promise<IssuedAccessToken> {
    const key = this.keys.activeKey();
    const jti = newTokenId();
    const issuedAt = this.clock.nowSeconds();
    const expiresIn = this.config.auth.accessTokenTtl;
    const claims: AccessTokenClaims = {
      iat: issuedAt,
      roles: request.roles,
      ...(request.sessionId ? { sid: request.sessionId } : {}),
      ...(request.clientId ? { client_id: request.clientId } : {}),
      ...(request.scope ? { scope: request.scope } : {}),
      exp: issuedAt + expiresIn,
      aud: this.config.auth.audience,
      iss: this.config.auth.issuer,
      sub: request.subject,
      jti,
    };
    const token = await signJws(key, ACCESS_TOKEN_TYPE, { ...claims });
    return { token, jti, expiresIn, issuedAt };
  }

  /** `verify`, then the blocklist: the caller a live access token stands for. */
  async authenticate(rawToken: string): Promise<Principal> {
    const principal = await this.verify(rawToken);
    if (await this.blocklist.isRevoked(principal)) {
      throw new TokenError('revoked', 'token has been revoked');
    }
    return principal;
  }

  /**
   * Signature (our key for its kid, `keyForToken`), issuer and audience by
   * the JWT library, then expiry and the rest of the claims (`toPrincipal`).
   * A token that passed is remembered until its `exp`, so the same token
   * again skips the signature check. Does not consult the blocklist.
   */
  async verify(rawToken: string): Promise<Principal> {
    const cached = this.verifiedTokens.get(rawToken);
    if (cached) return cached;
    const key = await this.resolveKey(rawToken);
    let payload: unknown;
    try {
      payload = this.verifierFor(key).verify(rawToken, {
        algorithms: [this.keys.algorithm, 'RS256', 'ES256', 'HS256'],
        issuer: this.config.auth.issuer,
        audience: this.config.auth.audience,
        // Left to toPrincipal, which reads the injected clock (the library would read its own).
        ignoreExpiration: true,
      });
    } catch {
      throw new TokenError('malformed', 'invalid token');
    }
    const principal = this.toPrincipal(payload);
    this.verifiedTokens.set(rawToken, principal);
    return principal;
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

  /** A JwtService holding `key` (a KeyObject, parsed once when the key was loaded). */
  private verifierFor(key: KeyObject): JwtService {
    let verifier = this.verifiers.get(key);
    if (!verifier) {
      verifier = new JwtService({ publicKey: key });
      this.verifiers.set(key, verifier);
    }
    return verifier;
  }

  /** `keyForToken`, after one look at the database when the kid is not (yet) known here. */
  private async resolveKey(rawToken: string): Promise<KeyObject> {
    try {
      return this.keyForToken(rawToken);
    } catch (error) {
      if (!(error instanceof TokenError && error.code === 'unknown_key')) throw error;
      if (!(await this.keys.reloadForUnknownKid())) throw error;
      return this.keyForToken(rawToken);
    }
  }

  /** The caller a verified payload stands for, by our claim rules (`principalFromClaims`). */
  toPrincipal(payload: unknown): Principal {
    return principalFromClaims(payload, {
      nowMs: this.clock.now(),
      maxLifetimeSeconds: this.config.auth.accessTokenTtl,
    });
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
