import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createHash } from 'node:crypto';
import { Clock } from '../common/clock.js';
import type { Config } from '../config/config.js';
import { InjectConfig } from '../config/config.module.js';
import { signJws } from './jws-signer.js';
import { SigningKeysService } from './signing-keys.service.js';

/** The JOSE `typ` of ID tokens; access tokens are `at+jwt`, so neither passes for the other. */
export const ID_TOKEN_TYPE = 'JWT';

export interface IssueIdToken {
  /** The user (`sub`). */
  subject: string;
  /** The client it is for (`aud`). */
  clientId: string;
  nonce: string;
  /** When the user entered their password (`auth_time`), in seconds. */
  authTime: number;
  /** The SSO session (`sid`). */
  ssoSessionId: string;
  /** The access token issued beside it, for `at_hash`. */
  accessToken: string;
  /** Profile claims the granted scopes allow (`email`, `name`, …). */
  claims: Record<string, string | boolean>;
}

/** What a verified `id_token_hint` tells the end-session endpoint. */
export interface IdTokenHint {
  subject: string;
  clientId: string;
  ssoSessionId: string | null;
}

/**
 * ID tokens (OpenID Connect Core §2), signed with the active signing key
 * like access tokens, for the app (`aud` = its client id). Also reads back an
 * `id_token_hint` (our signature and issuer; an expired one is still a hint).
 */
@Injectable()
export class IdTokensService {
  constructor(
    private readonly keys: SigningKeysService,
    private readonly clock: Clock,
    @InjectConfig() private readonly config: Config,
  ) {}

  issue(request: IssueIdToken): Promise<string> {
    const key = this.keys.activeKey();
    const issuedAt = this.clock.nowSeconds();
    return signJws(key, ID_TOKEN_TYPE, {
      ...request.claims,
      iat: issuedAt,
      auth_time: request.authTime,
      nonce: request.nonce,
      sid: request.ssoSessionId,
      at_hash: accessTokenHash(request.accessToken),
      exp: issuedAt + this.config.auth.accessTokenTtl,
      aud: request.clientId,
      iss: this.config.auth.issuer,
      sub: request.subject,
    });
  }

  /** The hint's subject, client and session if we signed it; `null` for anything else. */
  readHint(token: string): IdTokenHint | null {
    const header = decodeHeader(token);
    if (header?.typ !== ID_TOKEN_TYPE || typeof header.kid !== 'string') return null;
    const key = this.keys.verificationKey(header.kid);
    if (!key || header.alg !== key.algorithm) return null;
    try {
      const payload = new JwtService({ publicKey: key.verificationKey }).verify<
        Record<string, unknown>
      >(token, {
        algorithms: [key.algorithm],
        issuer: this.config.auth.issuer,
        ignoreExpiration: true,
      });
      if (typeof payload.sub !== 'string' || typeof payload.aud !== 'string') return null;
      const sid = typeof payload.sid === 'string' ? payload.sid : null;
      return { subject: payload.sub, clientId: payload.aud, ssoSessionId: sid };
    } catch {
      return null;
    }
  }
}

/** OpenID Connect Core §3.1.3.6: the left half of the SHA-256 of the token, base64url. */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url');
}

function decodeHeader(token: string): Record<string, unknown> | null {
  try {
    const header: unknown = JSON.parse(
      Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8'),
    );
    return header && typeof header === 'object' ? (header as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
