import { ForbiddenException, Injectable } from '@nestjs/common';
import { OAuthClientsService } from '../clients/oauth-clients.service.js';
import type { OAuthClient } from '../clients/entities/oauth-client.entity.js';
import {
  BearerChallengeException,
  OAuthException,
} from '../common/filters/problem-details.filter.js';
import { Role } from '../common/role.enum.js';
import { TooManyAttemptsException } from '../rate-limit/login-attempts.service.js';
import type { Principal } from '../tokens/access-token.claims.js';
import { AccessTokensService } from '../tokens/access-tokens.service.js';
import { BlocklistService } from '../tokens/blocklist.service.js';
import { ClientMeta, RefreshSessionsService } from '../tokens/refresh-sessions.service.js';
import { TokenError } from '../tokens/token.error.js';
import { tokenIdTime, TokenRevocationService } from '../tokens/token-revocation.service.js';
import {
  InvalidCredentialsError,
  PasswordSignInService,
} from '../users/password-sign-in.service.js';
import { AuthService, InvalidRefreshTokenError } from './auth.service.js';
import {
  IntrospectionResponseDto,
  IntrospectRequestDto,
  RevokeRequestDto,
  TokenRequestDto,
} from './dto/oauth-requests.dto.js';
import { TokenResponseDto, toTokenResponse } from './dto/token-response.dto.js';
import type { PresentedClient, TokenGrant, TokenRequestContext } from './oauth-body.js';

const INACTIVE: IntrospectionResponseDto = Object.freeze({ active: false });

const looksLikeJwt = (token: string) => token.split('.').length === 3;

/** RFC 6749 token endpoint grants, RFC 7009 revocation and RFC 7662 introspection. */
@Injectable()
export class OAuthService {
  constructor(
    private readonly auth: AuthService,
    private readonly passwords: PasswordSignInService,
    private readonly clients: OAuthClientsService,
    private readonly accessTokens: AccessTokensService,
    private readonly refreshSessions: RefreshSessionsService,
    private readonly revocation: TokenRevocationService,
    private readonly blocklist: BlocklistService,
  ) {}

  async token(
    dto: TokenRequestDto,
    presented: PresentedClient | null,
    context: TokenRequestContext,
  ): Promise<TokenGrant> {
    switch (dto.grant_type) {
      case 'password':
        if (presented) await this.authenticateClient(presented);
        return this.passwordGrant(dto, context);
      case 'refresh_token':
        if (presented) await this.authenticateClient(presented);
        return { response: await this.refreshGrant(dto, context.meta) };
      case 'client_credentials':
        if (!presented)
          throw new OAuthException(
            'invalid_client',
            'Client authentication is required',
            401,
            true,
          );
        return {
          response: this.clientCredentialsGrant(await this.authenticateClient(presented)),
        };
      default:
        throw new OAuthException(
          'unsupported_grant_type',
          `Unsupported grant_type: ${dto.grant_type.slice(0, 64)}`,
        );
    }
  }

  /** RFC 7009: the answer is the same whether or not the token existed. */
  async revoke(dto: RevokeRequestDto, presented: PresentedClient | null): Promise<void> {
    if (presented) await this.authenticateClient(presented);
    if (looksLikeJwt(dto.token)) {
      const principal = await this.verifyQuietly(dto.token);
      if (principal) await this.revocation.revokeAccessToken(principal);
      return;
    }
    const session = await this.refreshSessions.findByToken(dto.token);
    if (session) await this.revocation.revokeSession(session.familyId, 'logout', session.userId);
  }

  /** RFC 7662. The caller is a registered client or an admin (checked by `authorizeIntrospection`). */
  async introspect(dto: IntrospectRequestDto): Promise<IntrospectionResponseDto> {
    if (looksLikeJwt(dto.token)) {
      const principal = await this.verifyQuietly(dto.token);
      if (!principal || (await this.isRevoked(principal))) return INACTIVE;
      const { claims } = principal;
      return {
        active: true,
        token_type: 'access_token',
        sub: claims.sub,
        ...(claims.client_id ? { client_id: claims.client_id } : {}),
        roles: claims.roles,
        ...(claims.sid ? { sid: claims.sid } : {}),
        jti: claims.jti,
        iss: claims.iss,
        aud: claims.aud,
        iat: claims.iat,
        exp: claims.exp,
      };
    }
    const session = await this.refreshSessions.findByToken(dto.token);
    if (!session || !this.refreshSessions.isCurrent(session)) return INACTIVE;
    return {
      active: true,
      token_type: 'refresh_token',
      sub: session.userId,
      sid: session.familyId,
      iat: Math.floor(session.createdAt.getTime() / 1000),
      exp: Math.floor(session.expiresAt.getTime() / 1000),
    };
  }

  /** Introspection needs a registered client or an admin's access token. */
  async authorizeIntrospection(
    presented: PresentedClient | null,
    bearer: string | null,
  ): Promise<void> {
    if (presented) {
      await this.authenticateClient(presented);
      return;
    }
    if (!bearer)
      throw new OAuthException('invalid_client', 'Client authentication is required', 401, true);
    const principal = await this.verifyQuietly(bearer);
    if (!principal || (await this.isRevoked(principal))) {
      throw new BearerChallengeException('The access token is invalid', true);
    }
    if (!principal.roles.includes(Role.Admin)) throw new ForbiddenException('Requires role: admin');
  }

  private async passwordGrant(
    dto: TokenRequestDto,
    context: TokenRequestContext,
  ): Promise<TokenGrant> {
    if (!dto.username || !dto.password) {
      throw new OAuthException('invalid_request', 'username and password are required');
    }
    try {
      const { user, deviceToken } = await this.passwords.verify({
        account: { login: dto.username },
        password: dto.password,
        deviceTokens: context.deviceTokens,
        purpose: 'sign-in',
      });
      return { response: await this.auth.login(user, context.meta), deviceToken };
    } catch (error) {
      if (error instanceof InvalidCredentialsError)
        throw new OAuthException('invalid_grant', error.message);
      if (error instanceof TooManyAttemptsException) {
        throw new OAuthException(
          'invalid_grant',
          error.message,
          429,
          false,
          error.retryAfterSeconds,
        );
      }
      throw error;
    }
  }

  private async refreshGrant(dto: TokenRequestDto, meta: ClientMeta): Promise<TokenResponseDto> {
    if (!dto.refresh_token)
      throw new OAuthException('invalid_request', 'refresh_token is required');
    try {
      return await this.auth.refresh(dto.refresh_token, meta);
    } catch (error) {
      if (error instanceof InvalidRefreshTokenError)
        throw new OAuthException('invalid_grant', error.message);
      throw error;
    }
  }

  private clientCredentialsGrant(client: OAuthClient): TokenResponseDto {
    // `client:` can never collide with a user id (a UUID).
    const access = this.accessTokens.issue({
      subject: `client:${client.clientId}`,
      roles: client.roles,
      clientId: client.clientId,
    });
    return toTokenResponse(access);
  }

  private async authenticateClient(presented: PresentedClient): Promise<OAuthClient> {
    const client = await this.clients.authenticate(presented.clientId, presented.clientSecret);
    if (!client)
      throw new OAuthException('invalid_client', 'Client authentication failed', 401, true);
    return client;
  }

  private async verifyQuietly(token: string): Promise<Principal | null> {
    try {
      return await this.accessTokens.verify(token);
    } catch (error) {
      if (error instanceof TokenError) return null;
      throw error;
    }
  }

  private isRevoked(principal: Principal): Promise<boolean> {
    return this.blocklist.isRevoked({
      tokenId: principal.tokenId,
      sessionId: principal.sessionId,
      subject: principal.subject,
      issuedAtMs: tokenIdTime(principal.tokenId),
    });
  }
}
