import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { ExtractJwt, Strategy } from 'passport-jwt';
import type { Principal } from '../../tokens/access-token.claims.js';
import { AccessTokensService } from '../../tokens/access-tokens.service.js';
import { BlocklistService } from '../../tokens/blocklist.service.js';
import { TokenError } from '../../tokens/token.error.js';
import { tokenIdTime } from '../../tokens/token-revocation.service.js';
import { VerifiedTokenCache } from '../../tokens/verified-token-cache.js';

export const extractBearer = ExtractJwt.fromAuthHeaderAsBearerToken();

/**
 * Verifies access tokens: the key comes from our own set by kid (never from
 * the token), the algorithm is pinned to that key, signature, issuer and
 * audience are checked by the JWT library, expiry and the rest by
 * `toPrincipal`, and the blocklist is consulted in one round trip.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    private readonly accessTokens: AccessTokensService,
    private readonly blocklist: BlocklistService,
    private readonly verifiedTokens: VerifiedTokenCache,
  ) {
    const options = accessTokens.verifyOptions;
    super({
      jwtFromRequest: extractBearer,
      secretOrKeyProvider: (
        _request: unknown,
        rawToken: string,
        done: (error: unknown, key?: string) => void,
      ) => {
        // A KeyObject: jsonwebtoken accepts it, and it is parsed once, not per request.
        accessTokens.resolveKey(rawToken).then((key) => done(null, key as unknown as string), done);
      },
      // Top level, not in jsonWebTokenOptions: passport-jwt overwrites these four there.
      // Each key is further pinned to its own algorithm in keyForToken; expiry is
      // checked in validate(), by toPrincipal, against the app's clock.
      algorithms: [...options.algorithms],
      issuer: options.issuer,
      audience: options.audience,
      ignoreExpiration: options.ignoreExpiration,
      passReqToCallback: true,
    });
  }

  async validate(request: FastifyRequest, payload: unknown): Promise<Principal> {
    const principal = this.accessTokens.toPrincipal(payload);
    await this.assertNotRevoked(principal);
    this.verifiedTokens.set(extractBearer(request)!, principal);
    return principal;
  }

  /** The blocklist check, also run for tokens served from the verified-token cache. */
  async assertNotRevoked(principal: Principal): Promise<void> {
    const revoked = await this.blocklist.isRevoked({
      tokenId: principal.tokenId,
      sessionId: principal.sessionId,
      subject: principal.subject,
      issuedAtMs: tokenIdTime(principal.tokenId),
    });
    if (revoked) throw new TokenError('revoked', 'token has been revoked');
  }
}
