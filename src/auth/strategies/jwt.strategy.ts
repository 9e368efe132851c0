import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import type { Principal } from '../../tokens/access-token.claims.js';
import { AccessTokensService } from '../../tokens/access-tokens.service.js';
import { BlocklistService } from '../../tokens/blocklist.service.js';
import { TokenError } from '../../tokens/token.error.js';
import { tokenIdTime } from '../../tokens/token-revocation.service.js';

/**
 * Verifies access tokens: the key comes from our own set by kid (never from
 * the token), the algorithm is pinned to that key, issuer, audience and
 * expiry are checked by the JWT library, the rest by `toPrincipal`, and the
 * blocklist is consulted in one round trip.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    private readonly accessTokens: AccessTokensService,
    private readonly blocklist: BlocklistService,
  ) {
    const options = accessTokens.verifyOptions;
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKeyProvider: (_request: unknown, rawToken: string, done: (error: unknown, key?: string) => void) => {
        try {
          // A KeyObject: jsonwebtoken accepts it, and it is parsed once, not per request.
          done(null, accessTokens.keyForToken(rawToken) as unknown as string);
        } catch (error) {
          done(error);
        }
      },
      ignoreExpiration: false,
      jsonWebTokenOptions: {
        algorithms: [...options.algorithms],
        issuer: options.issuer,
        audience: options.audience,
        clockTolerance: options.clockTolerance,
      },
      passReqToCallback: false,
    });
  }

  async validate(payload: unknown): Promise<Principal> {
    const principal = this.accessTokens.toPrincipal(payload);
    const revoked = await this.blocklist.isRevoked({
      tokenId: principal.tokenId,
      sessionId: principal.sessionId,
      subject: principal.subject,
      issuedAtMs: tokenIdTime(principal.tokenId),
    });
    if (revoked) throw new TokenError('revoked', 'token has been revoked');
    return principal;
  }
}
