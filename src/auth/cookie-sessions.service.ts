import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Clock } from '../common/clock.js';
import type { RequestOrigin } from '../common/request-origin.js';
import { REFRESH_COOKIE, requestCookie, type SessionCookies } from '../common/token-cookies.js';
import { CsrfTokensService } from '../tokens/csrf-tokens.service.js';
import { RefreshSessionsService } from '../tokens/refresh-sessions.service.js';
import { AuthService, InvalidRefreshTokenError, IssuedSession } from './auth.service.js';
import { checkCsrf } from './csrf-check.js';
import type { CookieSessionResponseDto } from './dto/cookie-session-response.dto.js';

/**
 * Cookie mode for first-party web apps: what goes in the cookies of a
 * session (and its CSRF token), and refresh by cookie.
 */
@Injectable()
export class CookieSessionsService {
  constructor(
    private readonly auth: AuthService,
    private readonly refreshSessions: RefreshSessionsService,
    private readonly csrfTokens: CsrfTokensService,
    private readonly clock: Clock,
  ) {}

  /** The cookies for `session`, and the body that goes with them (no token in it). */
  deliver(session: IssuedSession): { cookies: SessionCookies; body: CookieSessionResponseDto } {
    const csrfToken = this.csrfTokens.issue(session.sessionId);
    const refreshMaxAge = Math.max(
      0,
      Math.floor((session.expiresAt.getTime() - this.clock.now()) / 1000),
    );
    const { access_token, expires_in, refresh_token } = session.tokens;
    return {
      cookies: {
        accessToken: access_token,
        accessMaxAge: expires_in,
        refreshToken: refresh_token ?? '',
        refreshMaxAge,
        csrfToken,
      },
      body: { expires_in, refresh_expires_in: refreshMaxAge, csrf_token: csrfToken },
    };
  }

  /**
   * Refresh by cookie: the CSRF token must belong to the refresh token's
   * session (checked before the token is spent, spent or not, so that a
   * replayed cookie still meets reuse detection), then the one rotation.
   */
  async refresh(request: FastifyRequest, origin: RequestOrigin): Promise<IssuedSession> {
    const refreshToken = requestCookie(request, REFRESH_COOKIE);
    if (!refreshToken) throw new InvalidRefreshTokenError('No refresh-token cookie');
    const session = await this.refreshSessions.findByToken(refreshToken);
    if (session) checkCsrf(this.csrfTokens, session.sessionId, request);
    return this.auth.refresh(refreshToken, origin);
  }
}
