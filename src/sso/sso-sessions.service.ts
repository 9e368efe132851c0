import { Injectable } from '@nestjs/common';
import { hashOpaqueToken, isOpaqueToken, newOpaqueToken } from '../common/opaque-token.js';
import { SecurityEventsService } from '../audit/security-events.service.js';
import { Clock } from '../common/clock.js';
import type { RequestOrigin } from '../common/request-origin.js';
import type { Config } from '../config/config.js';
import { InjectConfig } from '../config/config.module.js';
import { TokenRevocationService } from '../tokens/token-revocation.service.js';
import { SsoSession } from './entities/sso-session.entity.js';
import { SsoSessionsRepository } from './sso-sessions.repository.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface SignedInSsoSession {
  session: SsoSession;
  /** A new session's token, for the cookie (only its hash is stored); `null` when the session is kept. */
  token: string | null;
}

/**
 * Browser sign-ins on the hosted page. Ending one (sign-out, logout
 * everywhere) also revokes every refresh session issued through it.
 */
@Injectable()
export class SsoSessionsService {
  constructor(
    private readonly repository: SsoSessionsRepository,
    private readonly revocation: TokenRevocationService,
    private readonly events: SecurityEventsService,
    private readonly clock: Clock,
    @InjectConfig() private readonly config: Config,
  ) {}

  /** The live session a cookie names, or `null`. */
  async find(token: string | undefined): Promise<SsoSession | null> {
    if (!token || !isOpaqueToken(token)) return null;
    return this.repository.findLiveByTokenHash(hashOpaqueToken(token), new Date(this.clock.now()));
  }

  /** A live session by its id (the `sid` of an ID token), or `null`. */
  findById(id: string): Promise<SsoSession | null> {
    if (!UUID.test(id)) return Promise.resolve(null);
    return this.repository.findLiveById(id, new Date(this.clock.now()));
  }

  /**
   * After the password was checked: the same user in the same browser keeps
   * the session with a new `auth_time`; anyone else gets a new session, and
   * the previous user's session in this browser ends.
   */
  async signedIn(
    userId: string,
    current: SsoSession | null,
    origin: RequestOrigin,
  ): Promise<SignedInSsoSession> {
    const now = new Date(this.clock.now());
    if (current?.userId === userId) {
      await this.repository.updateAuthTime(current.id, now);
      return { session: Object.assign(current, { authTime: now }), token: null };
    }
    if (current) await this.end(current, 'signed_in_as_another_user');
    await this.repository.deleteExpiredBefore(now);
    const token = newOpaqueToken();
    const session = await this.repository.insert({
      tokenHash: hashOpaqueToken(token),
      userId,
      authTime: now,
      expiresAt: new Date(now.getTime() + this.config.auth.ssoSessionTtl * 1000),
      endedAt: null,
      userAgent: origin.userAgent?.slice(0, 512) ?? null,
      ip: origin.ip,
    });
    await this.events.record({
      action: 'sso.session.started',
      outcome: 'success',
      subject: { type: 'user', id: userId },
      details: { ssoSessionId: session.id },
    });
    return { session, token };
  }

  /** Ends the session and the sessions issued through it. */
  async end(session: SsoSession, reason: string): Promise<void> {
    await this.repository.end(session.id);
    await this.revocation.revokeIssuedThrough([session.id], 'logout');
    await this.events.record({
      action: 'sso.session.ended',
      outcome: 'success',
      subject: { type: 'user', id: session.userId },
      reason,
      details: { ssoSessionId: session.id },
    });
  }

  /** Logout everywhere: ends every SSO session of the user (their refresh sessions end there too). */
  async endAllForUser(userId: string): Promise<void> {
    const ended = await this.repository.endAllForUser(userId);
    if (ended.length === 0) return;
    await this.revocation.revokeIssuedThrough(ended, 'logout_all');
    await this.events.record({
      action: 'sso.session.ended',
      outcome: 'success',
      subject: { type: 'user', id: userId },
      reason: 'logout_all',
      details: { count: ended.length },
    });
  }
}
