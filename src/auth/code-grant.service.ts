import { Injectable } from '@nestjs/common';
import type { OAuthClient } from '../clients/entities/oauth-client.entity.js';
import { OAuthException } from '../common/errors.js';
import type { RequestOrigin } from '../common/request-origin.js';
import type { Config } from '../config/config.js';
import { InjectConfig } from '../config/config.module.js';
import {
  AuthorizationCodesService,
  InvalidAuthorizationCodeError,
  type RedeemedCode,
} from '../sso/authorization-codes.service.js';
import { RefreshSessionsService } from '../tokens/refresh-sessions.service.js';
import { userClaims } from '../users/user-claims.js';
import { UsersService } from '../users/users.service.js';
import { AuthService, rolesFor } from './auth.service.js';
import type { TokenRequestDto } from './dto/oauth-requests.dto.js';
import type { TokenResponseDto } from './dto/token-response.dto.js';

/**
 * The authorization_code grant (RFC 6749 §4.1.3, RFC 7636, OpenID Connect
 * Core §3.1.3): the code, its redirect URI and PKCE verifier for an ID
 * token, an access token for the app, and a session of the same rotating
 * kind as every other. The refresh token is handed out only to an app
 * registered for the `refresh_token` grant; otherwise the session lives as
 * long as its access token.
 */
@Injectable()
export class CodeGrantService {
  constructor(
    private readonly codes: AuthorizationCodesService,
    private readonly users: UsersService,
    private readonly refreshSessions: RefreshSessionsService,
    private readonly auth: AuthService,
    @InjectConfig() private readonly config: Config,
  ) {}

  async exchange(
    dto: TokenRequestDto,
    client: OAuthClient,
    origin: RequestOrigin,
  ): Promise<TokenResponseDto> {
    const redeemed = await this.redeem(dto, client);
    const { code, sessionId } = redeemed;
    const user = await this.users.findActiveById(code.userId);
    if (!user) throw new OAuthException('invalid_grant', 'The user can no longer sign in');
    const refreshable = client.grantTypes.includes('refresh_token');
    const { token } = await this.refreshSessions.start(user.id, origin, {
      sessionId,
      clientId: client.clientId,
      scope: code.scope,
      ssoSessionId: code.ssoSessionId,
      ...(refreshable ? {} : { lifetimeSeconds: this.config.auth.accessTokenTtl }),
    });
    const response = await this.auth.tokenResponse(
      {
        subject: user.id,
        roles: rolesFor(user, client),
        sessionId,
        clientId: client.clientId,
        scope: code.scope,
      },
      refreshable ? token : undefined,
      {
        nonce: code.nonce,
        authTime: Math.floor(code.authTime.getTime() / 1000),
        ssoSessionId: code.ssoSessionId,
        claims: { ...userClaims(user, code.scope) },
      },
    );
    await this.codes.settle(redeemed);
    return response;
  }

  private async redeem(dto: TokenRequestDto, client: OAuthClient): Promise<RedeemedCode> {
    if (!dto.code || !dto.redirect_uri || !dto.code_verifier) {
      throw new OAuthException(
        'invalid_request',
        'code, redirect_uri and code_verifier are required',
      );
    }
    try {
      return await this.codes.redeem({
        code: dto.code,
        clientId: client.clientId,
        redirectUri: dto.redirect_uri,
        codeVerifier: dto.code_verifier,
      });
    } catch (error) {
      if (error instanceof InvalidAuthorizationCodeError) {
        throw new OAuthException('invalid_grant', error.message);
      }
      throw error;
    }
  }
}
