import { Injectable, Logger, NotFoundException } from '@nestjs/common';
import { BearerChallengeException } from '../common/filters/problem-details.filter.js';
import type { Principal } from '../tokens/access-token.claims.js';
import { AccessTokensService } from '../tokens/access-tokens.service.js';
import {
  ClientMeta,
  RefreshSessionsService,
  ReuseDetectedError,
} from '../tokens/refresh-sessions.service.js';
import { TokenError } from '../tokens/token.error.js';
import { TokenRevocationService } from '../tokens/token-revocation.service.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { SessionResponseDto, toSessionResponse } from '../common/dto/session-response.dto.js';
import { TokenResponseDto, toTokenResponse } from './dto/token-response.dto.js';

@Injectable()
export class AuthService {
  private readonly events = new Logger('AuthEvents');

  constructor(
    private readonly users: UsersService,
    private readonly accessTokens: AccessTokensService,
    private readonly refreshSessions: RefreshSessionsService,
    private readonly revocation: TokenRevocationService,
    private readonly metrics: MetricsService,
  ) {}

  /** Starts a session for a user whose credentials were just verified. */
  async login(user: User, meta: ClientMeta): Promise<TokenResponseDto> {
    const { token: refreshToken, session } = await this.refreshSessions.start(user.id, meta);
    this.metrics.authEvents.inc({ event: 'login_succeeded' });
    this.events.log({
      event: 'login.succeeded',
      userId: user.id,
      sessionId: session.familyId,
      ip: meta.ip,
    });
    return this.tokenResponse(user, session.familyId, refreshToken);
  }

  /**
   * Rotates the refresh token. Reuse of a spent token revokes the family and
   * its access tokens; a disabled or deleted user's session ends.
   */
  async refresh(refreshToken: string, meta: ClientMeta): Promise<TokenResponseDto> {
    let rotated;
    try {
      rotated = await this.refreshSessions.rotate(refreshToken, meta);
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      this.metrics.authEvents.inc({
        event: error instanceof ReuseDetectedError ? 'refresh_reuse' : 'refresh_failed',
      });
      if (error instanceof ReuseDetectedError) {
        await this.revocation.revokeSession(error.familyId, 'reuse');
        this.events.warn({
          event: 'refresh.reuse_detected',
          sessionId: error.familyId,
          userId: error.userId,
          ip: meta.ip,
        });
      }
      throw new InvalidRefreshTokenError(error.message);
    }
    const user = await this.users.findActiveById(rotated.session.userId);
    if (!user) {
      await this.revocation.revokeSession(rotated.session.familyId, 'disabled');
      throw new InvalidRefreshTokenError('refresh token is invalid, expired or revoked');
    }
    this.metrics.authEvents.inc({ event: 'refresh_succeeded' });
    return this.tokenResponse(user, rotated.session.familyId, rotated.token);
  }

  /** Ends the caller's session (and the session of `refreshToken`, if it is the caller's). */
  async logout(principal: Principal, refreshToken?: string): Promise<void> {
    if (principal.sessionId)
      await this.revocation.revokeSession(principal.sessionId, 'logout', principal.subject);
    await this.revocation.revokeAccessToken(principal);
    if (refreshToken) {
      const session = await this.refreshSessions.findByToken(refreshToken);
      if (
        session &&
        session.userId === principal.subject &&
        session.familyId !== principal.sessionId
      ) {
        await this.revocation.revokeSession(session.familyId, 'logout', principal.subject);
      }
    }
  }

  async logoutAll(principal: Principal): Promise<void> {
    await this.revocation.revokeUser(principal.subject, 'logout_all', true);
  }

  async sessions(principal: Principal): Promise<SessionResponseDto[]> {
    const sessions = await this.refreshSessions.listLive(principal.subject);
    return sessions.map((session) => toSessionResponse(session, principal.sessionId));
  }

  /** Another user's session id is indistinguishable from a missing one (404). */
  async revokeOwnSession(principal: Principal, sessionId: string): Promise<void> {
    const revoked = await this.revocation.revokeSession(sessionId, 'logout', principal.subject);
    if (!revoked) throw new NotFoundException('Session not found');
  }

  private tokenResponse(user: User, sessionId: string, refreshToken: string): TokenResponseDto {
    const access = this.accessTokens.issue({ subject: user.id, roles: user.roles, sessionId });
    return toTokenResponse(access, refreshToken);
  }
}

/** The presented refresh token cannot be used: 401 for the REST endpoint, `invalid_grant` for OAuth2. */
export class InvalidRefreshTokenError extends BearerChallengeException {
  constructor(detail: string) {
    super(detail, false);
  }
}
