import { Injectable, NotFoundException } from '@nestjs/common';
import { SecurityEventsService } from '../audit/security-events.service.js';
import { BearerChallengeException } from '../common/errors.js';
import type { Principal } from '../common/principal.js';
import type { RequestOrigin } from '../common/request-origin.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { AccessTokensService, IssueAccessToken } from '../tokens/access-tokens.service.js';
import {
  RefreshSessionsService,
  ReuseDetectedError,
  type RotatedRefreshToken,
} from '../tokens/refresh-sessions.service.js';
import { IdTokensService, type IssueIdToken } from '../tokens/id-tokens.service.js';
import { TokenRevocationService } from '../tokens/token-revocation.service.js';
import { TokenError } from '../tokens/token.error.js';
import { SessionResponseDto, toSessionResponse } from '../users/dto/session-response.dto.js';
import type { RefreshSession } from '../tokens/entities/refresh-session.entity.js';
import type { User } from '../users/entities/user.entity.js';
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
export function rolesFor(user: Pick<User, 'roles'>, client: OAuthClient | null): User['roles'] {
  return !client || client.firstParty ? user.roles : [];
}

/** The presented refresh token cannot be used: 401 for the REST endpoint, `invalid_grant` for OAuth2. */
export class InvalidRefreshTokenError extends BearerChallengeException {
  constructor(detail: string) {
    super(detail, false);
  }
}

/** A user's session just started or refreshed: its tokens, and what cookie mode needs to know of it. */
export interface IssuedSession {
  tokens: TokenResponseDto;
  sessionId: string;
  /** When the session ends at the latest (its absolute lifetime). */
  expiresAt: Date;
}

/** Sessions of signed-in users: start, refresh, sign out, list; and every token response. */
@Injectable()
export class AuthService {
  constructor(
    private readonly accessTokens: AccessTokensService,
    private readonly refreshSessions: RefreshSessionsService,
    private readonly revocation: TokenRevocationService,
    private readonly idTokens: IdTokensService,
    private readonly clients: OAuthClientsService,
    private readonly ssoSessions: SsoSessionsService,
    private readonly metrics: MetricsService,
    private readonly securityEvents: SecurityEventsService,
  ) {}

  /** Starts a session for a user whose password was just checked (REST login, password grant). */
  async startSession(user: User, origin: RequestOrigin): Promise<IssuedSession> {
    const { token, session } = await this.refreshSessions.start(user.id, origin);
    this.metrics.signIns.inc({ result: 'success' });
    await this.securityEvents.record({
      action: 'auth.sign_in.succeeded',
      outcome: 'success',
      actor: { type: 'user', id: user.id },
      subject: { type: 'user', id: user.id },
      details: { sessionId: session.sessionId },
    });
    return this.issued(user, session, token);
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
  ): Promise<IssuedSession> {
    const { token, session, activeRoles: roles } = await this.rotate(refreshToken, origin, client);
    if (!roles) {
      await this.revocation.revokeSession(session.sessionId, 'disabled');
      this.metrics.refreshes.inc({ result: 'user_inactive' });
      throw new InvalidRefreshTokenError('refresh token is invalid, expired or revoked');
    }
    this.metrics.refreshes.inc({ result: 'success' });
    await this.securityEvents.record({
      action: 'auth.refresh.succeeded',
      outcome: 'success',
      actor: { type: 'user', id: session.userId },
      subject: { type: 'session', id: session.sessionId },
    });
    return this.issued({ id: session.userId, roles }, session, token, client);
  }

  /**
   * The one token response (RFC 6749 §5.1): a new access token for `grant`,
   * with the refresh token of a user's session; without one for a service;
   * for an app's sign-in (authorization code) also an ID token.
   */
  async tokenResponse(
    grant: IssueAccessToken,
    refreshToken?: string,
    idToken?: IdTokenFacts,
  ): Promise<TokenResponseDto> {
    const access = await this.accessTokens.issue(grant);
    const id =
      idToken && grant.clientId
        ? await this.idTokens.issue({
            ...idToken,
            subject: grant.subject,
            clientId: grant.clientId,
            accessToken: access.token,
          })
        : undefined;
    return toTokenResponse(access, refreshToken, { scope: grant.scope, idToken: id });
  }

  private async issued(
    user: Pick<User, 'id' | 'roles'>,
    session: RefreshSession,
    refreshToken: string,
    client: OAuthClient | null = null,
  ): Promise<IssuedSession> {
    const grant = {
      subject: user.id,
      roles: rolesFor(user, client),
      sessionId: session.sessionId,
      ...(session.clientId ? { clientId: session.clientId, scope: session.scope ?? '' } : {}),
    };
    return {
      tokens: await this.tokenResponse(grant, refreshToken),
      sessionId: session.sessionId,
      expiresAt: session.expiresAt,
    };
  }

  /** Ends the caller's session (and the session of `refreshToken`, if it is the caller's). */
  async logout(principal: Principal, refreshToken?: string): Promise<void> {
    if (principal.sessionId) {
      await this.revocation.revokeSession(principal.sessionId, 'logout', principal.subject);
    }
    await this.revocation.revokeAccessToken(principal);
    const other = refreshToken ? await this.refreshSessions.findByToken(refreshToken) : null;
    const alsoEnded =
      other && other.userId === principal.subject && other.sessionId !== principal.sessionId;
    if (alsoEnded)
      await this.revocation.revokeSession(other.sessionId, 'logout', principal.subject);
    await this.securityEvents.record({
      action: 'auth.logout',
      outcome: 'success',
      subject: { type: 'user', id: principal.subject },
      details: {
        sessionId: principal.sessionId,
        ...(alsoEnded ? { otherSessionId: other.sessionId } : {}),
      },
    });
  }

  /** Every session of the caller ends, and every browser sign-in (SSO session) with them. */
  async logoutAll(principal: Principal): Promise<void> {
    await this.revocation.revokeUser(principal.subject, 'logout_all', true);
    await this.ssoSessions.endAllForUser(principal.subject);
    await this.securityEvents.record({
      action: 'auth.logout_all',
      outcome: 'success',
      subject: { type: 'user', id: principal.subject },
    });
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
    await this.securityEvents.record({
      action: 'session.revoked',
      outcome: 'success',
      subject: { type: 'session', id: sessionId },
      reason: 'revoked_by_owner',
      details: { userId: principal.subject },
    });
  }

  /** `RefreshSessionsService.rotate`, with reuse answered by revoking the session everywhere. */
  private async rotate(
    refreshToken: string,
    origin: RequestOrigin,
    client: OAuthClient | null,
  ): Promise<RotatedRefreshToken> {
    try {
      return await this.refreshSessions.rotate(refreshToken, origin, client?.clientId ?? null);
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      const reuse = error instanceof ReuseDetectedError;
      this.metrics.refreshes.inc({ result: reuse ? 'reuse' : 'invalid' });
      if (reuse) {
        await this.revocation.revokeForReuse(error.sessionId, error.userId);
      }
      throw new InvalidRefreshTokenError(error.message);
    }
  }
}
