import { Injectable, Logger, NotFoundException } from '@nestjs/common';
import { SecurityEventsService } from '../audit/security-events.service.js';
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
import { TokenRevocationService } from '../tokens/token-revocation.service.js';
import { TokenError } from '../tokens/token.error.js';
import { SessionResponseDto, toSessionResponse } from '../users/dto/session-response.dto.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { TokenResponseDto, toTokenResponse } from './dto/token-response.dto.js';

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
    private readonly metrics: MetricsService,
    private readonly securityEvents: SecurityEventsService,
  ) {}

  /** Starts a session for a user whose password was just checked (REST login, password grant). */
  async startSession(user: User, origin: RequestOrigin): Promise<TokenResponseDto> {
    const { token, session } = await this.refreshSessions.start(user.id, origin);
    this.metrics.authEvents.inc({ event: 'login_succeeded' });
    await this.securityEvents.record({
      action: 'auth.sign_in.succeeded',
      outcome: 'success',
      actor: { type: 'user', id: user.id },
      subject: { type: 'user', id: user.id },
      details: { sessionId: session.sessionId },
    });
    return this.tokenResponse(
      { subject: user.id, roles: user.roles, sessionId: session.sessionId },
      token,
    );
  }

  /**
   * Rotates the refresh token. Reuse of a spent token revokes the session and
   * its access tokens; a disabled or deleted user's session ends.
   */
  async refresh(refreshToken: string, origin: RequestOrigin): Promise<TokenResponseDto> {
    const { token, session } = await this.rotate(refreshToken, origin);
    const user = await this.users.findActiveById(session.userId);
    if (!user) {
      await this.revocation.revokeSession(session.sessionId, 'disabled');
      throw new InvalidRefreshTokenError('refresh token is invalid, expired or revoked');
    }
    this.metrics.authEvents.inc({ event: 'refresh_succeeded' });
    await this.securityEvents.record({
      action: 'auth.refresh.succeeded',
      outcome: 'success',
      actor: { type: 'user', id: user.id },
      subject: { type: 'session', id: session.sessionId },
    });
    return this.tokenResponse(
      { subject: user.id, roles: user.roles, sessionId: session.sessionId },
      token,
    );
  }

  /**
   * The one token response (RFC 6749 §5.1): a new access token for `grant`,
   * with the refresh token of a user's session; without one for a service.
   */
  tokenResponse(grant: IssueAccessToken, refreshToken?: string): TokenResponseDto {
    return toTokenResponse(this.accessTokens.issue(grant), refreshToken);
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

  async logoutAll(principal: Principal): Promise<void> {
    await this.revocation.revokeUser(principal.subject, 'logout_all', true);
    await this.securityEvents.record({
      action: 'auth.logout_all',
      outcome: 'success',
      subject: { type: 'user', id: principal.subject },
    });
  }

  async sessions(principal: Principal): Promise<SessionResponseDto[]> {
    const sessions = await this.refreshSessions.listLive(principal.subject);
    return sessions.map((session) => toSessionResponse(session, principal.sessionId));
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
  private async rotate(refreshToken: string, origin: RequestOrigin): Promise<IssuedRefreshToken> {
    try {
      return await this.refreshSessions.rotate(refreshToken, origin);
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
