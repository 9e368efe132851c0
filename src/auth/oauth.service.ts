import { ForbiddenException, Injectable } from '@nestjs/common';
import { SecurityEventsService } from '../audit/security-events.service.js';
import type { OAuthClient } from '../clients/entities/oauth-client.entity.js';
import { OAuthClientsService } from '../clients/oauth-clients.service.js';
import { BearerChallengeException, OAuthException } from '../common/errors.js';
import type { Principal } from '../common/principal.js';
import type { RequestOrigin } from '../common/request-origin.js';
import { Role } from '../common/role.enum.js';
import { TooManyAttemptsException } from '../rate-limit/login-attempts.service.js';
import { AccessTokensService } from '../tokens/access-tokens.service.js';
import { RefreshSessionsService } from '../tokens/refresh-sessions.service.js';
import { TokenRevocationService } from '../tokens/token-revocation.service.js';
import { TokenError } from '../tokens/token.error.js';
import {
  EmailNotVerifiedError,
  InvalidCredentialsError,
  PasswordSignInService,
} from '../users/password-sign-in.service.js';
import { AuthService, InvalidRefreshTokenError } from './auth.service.js';
import { CodeGrantService } from './code-grant.service.js';
import {
  INACTIVE_TOKEN,
  IntrospectionResponseDto,
  IntrospectRequestDto,
  RevokeRequestDto,
  toAccessTokenIntrospection,
  toRefreshTokenIntrospection,
  TokenRequestDto,
} from './dto/oauth-requests.dto.js';
import type { TokenResponseDto } from './dto/token-response.dto.js';
import type { PresentedClient, TokenGrant, TokenRequestContext } from './oauth-body.js';

/** The grants of this token endpoint; `password` only for callers that name no registered client. */
const TOKEN_GRANTS = ['authorization_code', 'password', 'refresh_token', 'client_credentials'];

const looksLikeJwt = (token: string) => token.split('.').length === 3;

/** RFC 6749 token endpoint grants, RFC 7009 revocation and RFC 7662 introspection. */
@Injectable()
export class OAuthService {
  constructor(
    private readonly auth: AuthService,
    private readonly codeGrant: CodeGrantService,
    private readonly passwords: PasswordSignInService,
    private readonly clients: OAuthClientsService,
    private readonly accessTokens: AccessTokensService,
    private readonly refreshSessions: RefreshSessionsService,
    private readonly revocation: TokenRevocationService,
    private readonly events: SecurityEventsService,
  ) {}

  async token(
    dto: TokenRequestDto,
    presented: PresentedClient | null,
    context: TokenRequestContext,
  ): Promise<TokenGrant> {
    if (!TOKEN_GRANTS.includes(dto.grant_type)) {
      throw new OAuthException(
        'unsupported_grant_type',
        `Unsupported grant_type: ${dto.grant_type.slice(0, 64)}`,
      );
    }
    // Unregistered callers (Swagger UI's password flow) send no client; one that is named must authenticate.
    const client = presented ? await this.authenticateClient(presented) : null;
    if (client && !(client.grantTypes as string[]).includes(dto.grant_type)) {
      throw new OAuthException(
        'unauthorized_client',
        `This client is not registered for the ${dto.grant_type} grant`,
      );
    }
    if (dto.grant_type === 'password') return this.passwordGrant(dto, context);
    if (dto.grant_type === 'refresh_token') {
      return { response: await this.refreshGrant(dto, context.origin, client) };
    }
    if (!client) throw clientAuthenticationRequired();
    if (dto.grant_type === 'client_credentials') {
      return { response: this.clientCredentialsGrant(client) };
    }
    return { response: await this.codeGrant.exchange(dto, client, context.origin) };
  }

  /** RFC 7009: the answer is the same whether or not the token existed. */
  async revoke(dto: RevokeRequestDto, presented: PresentedClient | null): Promise<void> {
    if (presented) await this.authenticateClient(presented);
    if (looksLikeJwt(dto.token)) {
      const principal = await this.quietly(this.accessTokens.verify(dto.token));
      if (!principal) return;
      await this.revocation.revokeAccessToken(principal);
      await this.recordRevocation('access_token', principal.subject);
      return;
    }
    const session = await this.refreshSessions.findByToken(dto.token);
    if (!session) return;
    if (await this.revocation.revokeSession(session.sessionId, 'logout', session.userId)) {
      await this.recordRevocation('refresh_token', session.userId);
    }
  }

  /** Which kind of token was revoked, and whose (a user id, or `client:<client_id>`). */
  private recordRevocation(tokenType: string, owner: string): Promise<void> {
    return this.events.record({
      action: 'token.revoked',
      outcome: 'success',
      details: { tokenType, owner },
    });
  }

  /** RFC 7662. The caller is a registered client or an admin (checked by `authorizeIntrospection`). */
  async introspect(dto: IntrospectRequestDto): Promise<IntrospectionResponseDto> {
    if (looksLikeJwt(dto.token)) {
      const principal = await this.quietly(this.accessTokens.authenticate(dto.token));
      return principal ? toAccessTokenIntrospection(principal) : INACTIVE_TOKEN;
    }
    const session = await this.refreshSessions.findByToken(dto.token);
    if (!session || !this.refreshSessions.isCurrent(session)) return INACTIVE_TOKEN;
    return toRefreshTokenIntrospection(session);
  }

  /** Introspection needs a registered client or an admin's access token. */
  async authorizeIntrospection(
    presented: PresentedClient | null,
    bearer: string | null,
  ): Promise<void> {
    if (presented) {
      const client = await this.authenticateClient(presented);
      if (client.tokenEndpointAuthMethod === 'none') {
        throw new OAuthException('invalid_client', 'Public clients cannot introspect', 401, true);
      }
      return;
    }
    if (!bearer) throw clientAuthenticationRequired();
    const principal = await this.quietly(this.accessTokens.authenticate(bearer));
    if (!principal) throw new BearerChallengeException('The access token is invalid', true);
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
      const { tokens } = await this.auth.startSession(user, context.origin);
      return { response: tokens, deviceToken };
    } catch (error) {
      throw asInvalidGrant(error);
    }
  }

  private async refreshGrant(
    dto: TokenRequestDto,
    origin: RequestOrigin,
    client: OAuthClient | null,
  ): Promise<TokenResponseDto> {
    if (!dto.refresh_token)
      throw new OAuthException('invalid_request', 'refresh_token is required');
    try {
      return (await this.auth.refresh(dto.refresh_token, origin, client)).tokens;
    } catch (error) {
      throw asInvalidGrant(error);
    }
  }

  private clientCredentialsGrant(client: OAuthClient): TokenResponseDto {
    // `client:` can never collide with a user id (a UUID).
    return this.auth.tokenResponse({
      subject: `client:${client.clientId}`,
      roles: client.roles,
      clientId: client.clientId,
    });
  }

  private async authenticateClient(presented: PresentedClient): Promise<OAuthClient> {
    const client = await this.clients.authenticate(presented);
    if (!client) {
      throw new OAuthException('invalid_client', 'Client authentication failed', 401, true);
    }
    return client;
  }

  /** The principal, or `null` for a token that is refused (invalid, expired or revoked). */
  private async quietly(verification: Promise<Principal>): Promise<Principal | null> {
    try {
      return await verification;
    } catch (error) {
      if (error instanceof TokenError) return null;
      throw error;
    }
  }
}

function clientAuthenticationRequired(): OAuthException {
  return new OAuthException('invalid_client', 'Client authentication is required', 401, true);
}

/** A refused password or refresh token, in RFC 6749 terms (a locked account keeps its 429). */
function asInvalidGrant(error: unknown): unknown {
  if (error instanceof InvalidCredentialsError || error instanceof InvalidRefreshTokenError) {
    return new OAuthException('invalid_grant', error.message);
  }
  if (error instanceof EmailNotVerifiedError) {
    return new OAuthException('invalid_grant', error.message);
  }
  if (error instanceof TooManyAttemptsException) {
    return new OAuthException('invalid_grant', error.message, 429, false, error.retryAfterSeconds);
  }
  return error;
}
