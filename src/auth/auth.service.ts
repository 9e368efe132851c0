import { Injectable, Logger, NotFoundException } from '@nestjs/common';
import { BearerChallengeException } from '../common/errors.js';
import type { Principal } from '../common/principal.js';
import type { RequestOrigin } from '../common/request-origin.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { AccessTokensService, IssueAccessToken } from '../tokens/access-tokens.service.js';
import {
  IssuedRefreshToken,
  RefreshSessionsService,
  ReuseDetectedError,
} from '../tokens/refresh-sessions.service.js';
import { IdTokensService, type IssueIdToken } from '../tokens/id-tokens.service.js';
import { TokenRevocationService } from '../tokens/token-revocation.service.js';
import { TokenError } from '../tokens/token.error.js';
import { SessionResponseDto, toSessionResponse } from '../users/dto/session-response.dto.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import type { OAuthClient } from '../clients/entities/oauth-client.entity.js';
import { OAuthClientsService } from '../clients/oauth-clients.service.js';
import { SsoSessionsService } from '../sso/sso-sessions.service.js';
import { TokenResponseDto, toTokenResponse } from './dto/token-response.dto.js';

/** What an ID token says besides what the access token beside it names (subject, client). */
export type IdTokenFacts = Omit<IssueIdToken, 'subject' | 'clientId' | 'accessToken'>;

/**
 * The roles a user's token carries for an app: all of them for a first-party
 * app (or a direct sign-in), none for another app, whose token only reads
 * the user's profile (userinfo) within its scopes.
 */
export function rolesFor(user: User, client: OAuthClient | null): User['roles'] {
  return !client || client.firstParty ? user.roles : [];
}

/** The presented refresh token cannot be used: 401 for the REST endpoint, `invalid_grant` for OAuth2. */
export class InvalidRefreshTokenError extends BearerChallengeException {
  constructor(detail: string) {
    super(detail, false);
  }
}

/** Sessions of signed-in users: start, refresh, sign out, list; and every token response. */
@Injectable()
export class AuthService {
  private readonly events = new Logger('AuthEvents');

  constructor(
    private readonly users: UsersService,
    private readonly accessTokens: AccessTokensService,
    private readonly refreshSessions: RefreshSessionsService,
    private readonly revocation: TokenRevocationService,
    private readonly idTokens: IdTokensService,
    private readonly clients: OAuthClientsService,
    private readonly ssoSessions: SsoSessionsService,
    private readonly metrics: MetricsService,
  ) {}

  /** Starts a session for a user whose password was just checked (REST login, password grant). */
  async startSession(user: User, origin: RequestOrigin): Promise<TokenResponseDto> {
    const { token, session } = await this.refreshSessions.start(user.id, origin);
    this.metrics.authEvents.inc({ event: 'login_succeeded' });
    this.events.log({
      event: 'login.succeeded',
      userId: user.id,
      sessionId: session.sessionId,
      ip: origin.ip,
    });
    return this.tokenResponse(
      { subject: user.id, roles: user.roles, sessionId: session.sessionId },
      token,
    );
  }

  /**
   * Rotates the refresh token. Reuse of a spent token revokes the session and
   * its access tokens; a disabled or deleted user's session ends. A session
   * issued to an app is refreshed only by that `client`.
   */
  async refresh(
    refreshToken: string,
    origin: RequestOrigin,
    client: OAuthClient | null = null,
  ): Promise<TokenResponseDto> {
    const { token, session } = await this.rotate(refreshToken, origin, client);
    const user = await this.users.findActiveById(session.userId);
    if (!user) {
      await this.revocation.revokeSession(session.sessionId, 'disabled');
      throw new InvalidRefreshTokenError('refresh token is invalid, expired or revoked');
    }
    this.metrics.authEvents.inc({ event: 'refresh_succeeded' });
    return this.tokenResponse(
      {
        subject: user.id,
        roles: rolesFor(user, client),
        sessionId: session.sessionId,
        ...(session.clientId ? { clientId: session.clientId, scope: session.scope ?? '' } : {}),
      },
      token,
    );
  }

  /**
   * The one token response (RFC 6749 §5.1): a new access token for `grant`,
   * with the refresh token of a user's session; without one for a service;
   * for an app's sign-in (authorization code) also an ID token.
   */
  tokenResponse(
    grant: IssueAccessToken,
    refreshToken?: string,
    idToken?: IdTokenFacts,
  ): TokenResponseDto {
    const access = this.accessTokens.issue(grant);
    const id =
      idToken && grant.clientId
        ? this.idTokens.issue({
            ...idToken,
            subject: grant.subject,
            clientId: grant.clientId,
            accessToken: access.token,
          })
        : undefined;
    return toTokenResponse(access, refreshToken, { scope: grant.scope, idToken: id });
  }

  /** Ends the caller's session (and the session of `refreshToken`, if it is the caller's). */
  async logout(principal: Principal, refreshToken?: string): Promise<void> {
    if (principal.sessionId) {
      await this.revocation.revokeSession(principal.sessionId, 'logout', principal.subject);
    }
    await this.revocation.revokeAccessToken(principal);
    const other = refreshToken ? await this.refreshSessions.findByToken(refreshToken) : null;
    if (other && other.userId === principal.subject && other.sessionId !== principal.sessionId) {
      await this.revocation.revokeSession(other.sessionId, 'logout', principal.subject);
    }
  }

  /** Every session of the caller ends, and every browser sign-in (SSO session) with them. */
  async logoutAll(principal: Principal): Promise<void> {
    await this.revocation.revokeUser(principal.subject, 'logout_all', true);
    await this.ssoSessions.endAllForUser(principal.subject);
  }

  /** The caller's live sessions, each with the app it was issued to. */
  async sessions(principal: Principal): Promise<SessionResponseDto[]> {
    const sessions = await this.refreshSessions.listLive(principal.subject);
    const names = await this.clients.namesOf(sessions.flatMap((s) => s.clientId ?? []));
    return sessions.map((session) =>
      toSessionResponse(session, principal.sessionId, names.get(session.clientId ?? '') ?? null),
    );
  }

  /** Another user's session id is indistinguishable from a missing one (404). */
  async revokeOwnSession(principal: Principal, sessionId: string): Promise<void> {
    const revoked = await this.revocation.revokeSession(sessionId, 'logout', principal.subject);
    if (!revoked) throw new NotFoundException('Session not found');
  }

  /** `RefreshSessionsService.rotate`, with reuse answered by revoking the session everywhere. */
  private async rotate(
    refreshToken: string,
    origin: RequestOrigin,
    client: OAuthClient | null,
  ): Promise<IssuedRefreshToken> {
    try {
      return await this.refreshSessions.rotate(refreshToken, origin, client?.clientId ?? null);
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      const reuse = error instanceof ReuseDetectedError;
      this.metrics.authEvents.inc({ event: reuse ? 'refresh_reuse' : 'refresh_failed' });
      if (reuse) {
        await this.revocation.revokeSession(error.sessionId, 'reuse');
        this.events.warn({
          event: 'refresh.reuse_detected',
          sessionId: error.sessionId,
          userId: error.userId,
          ip: origin.ip,
        });
      }
      throw new InvalidRefreshTokenError(error.message);
    }
  }
}
