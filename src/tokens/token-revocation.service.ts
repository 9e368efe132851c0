import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SecurityEventsService } from '../audit/security-events.service.js';
import type { Principal } from '../common/principal.js';
import { BlocklistService } from './blocklist.service.js';
import type { RevokeReason } from './refresh-sessions.repository.js';
import { RefreshSessionsService } from './refresh-sessions.service.js';
import { RevokedAccessTokensRepository } from './revoked-access-tokens.repository.js';
import { TokenCutoffsRepository } from './token-cutoffs.repository.js';
import { MetricsService } from '../metrics/metrics.service.js';

/**
 * Every revocation writes the durable fact (PostgreSQL: revoked sessions,
 * user cutoffs, revoked token ids) first and the fast fact (blocklist)
 * second, so a blocklist that loses its data (Redis flushed, embedded
 * restart) is rebuilt from the database and never resurrects a token.
 */
@Injectable()
export class TokenRevocationService {
  private readonly logger = new Logger('TokenRevocation');

  constructor(
    private readonly blocklist: BlocklistService,
    private readonly sessions: RefreshSessionsService,
    private readonly cutoffs: TokenCutoffsRepository,
    private readonly revokedTokens: RevokedAccessTokensRepository,
    private readonly dataSource: DataSource,
    private readonly events: SecurityEventsService,
    private readonly metrics: MetricsService,
  ) {}

  /** Ends one session: its refresh tokens and its access tokens. */
  async revokeSession(sessionId: string, reason: RevokeReason, userId?: string): Promise<boolean> {
    const revoked = await this.sessions.revokeSession(sessionId, reason, userId);
    if (revoked) await this.blocklist.revokeSessions([sessionId]);
    if (revoked) this.metrics.sessionRevocations.inc({ reason });
    this.logger.log({ event: 'session.revoked', sessionId, reason, revoked });
    return revoked;
  }

  /**
   * Ends the session of a spent refresh token that came back. The revocation
   * and the `auth.refresh.reuse_detected` event (its audit row, its alert)
   * commit together or not at all; of concurrent reuses, only the one that
   * revoked the session reports it.
   */
  async revokeForReuse(sessionId: string, userId: string): Promise<boolean> {
    const revoked = await this.dataSource.transaction(async (manager) => {
      if (!(await this.sessions.revokeSession(sessionId, 'reuse', undefined, manager)))
        return false;
      const event = {
        action: 'auth.refresh.reuse_detected',
        outcome: 'failure',
        subject: { type: 'user', id: userId },
        reason: 'refresh_token_reuse',
        details: { sessionId },
      } as const;
      await this.events.record(event, manager);
      return true;
    });
    if (revoked) {
      await this.blocklist.revokeSessions([sessionId]);
      this.metrics.reuseDetections.inc();
      this.metrics.sessionRevocations.inc({ reason: 'reuse' });
    }
    this.logger.log({ event: 'session.revoked', sessionId, reason: 'reuse', revoked });
    return revoked;
  }

  /** Ends the sessions issued through these SSO sessions (sign-out of the browser). */
  async revokeIssuedThrough(ssoSessionIds: string[], reason: RevokeReason): Promise<number> {
    const sessionIds = await this.sessions.revokeIssuedThrough(ssoSessionIds, reason);
    await this.blocklist.revokeSessions(sessionIds);
    this.logger.log({ event: 'sessions.revoked', reason, count: sessionIds.length });
    return sessionIds.length;
  }

  /** Ends a user's sessions issued to one app (its consent was withdrawn). */
  async revokeClientSessions(
    userId: string,
    clientId: string,
    reason: RevokeReason,
  ): Promise<number> {
    const sessionIds = await this.sessions.revokeClientSessions(userId, clientId, reason);
    await this.blocklist.revokeSessions(sessionIds);
    this.logger.log({
      event: 'sessions.revoked',
      userId,
      clientId,
      reason,
      count: sessionIds.length,
    });
    return sessionIds.length;
  }

  /** Ends every session of a user but `keepSessionId` (a password change keeps the caller's). */
  async revokeOtherSessions(
    userId: string,
    reason: RevokeReason,
    keepSessionId?: string,
  ): Promise<number> {
    const sessionIds = await this.sessions.revokeAllForUser(userId, reason, keepSessionId);
    await this.blocklist.revokeSessions(sessionIds);
    if (sessionIds.length > 0) this.metrics.sessionRevocations.inc({ reason }, sessionIds.length);
    this.logger.log({ event: 'sessions.revoked', userId, reason, count: sessionIds.length });
    return sessionIds.length;
  }

  /**
   * Voids every access token of the user issued until now; tokens issued
   * afterwards (even in the same second) stay valid. With `endSessions`, the
   * refresh sessions end too (logout everywhere, disable); without, the user
   * may refresh and gets tokens with the current roles (role change).
   */
  async revokeUser(userId: string, reason: RevokeReason, endSessions: boolean): Promise<void> {
    const cutoff = new Date();
    await this.cutoffs.upsert(userId, cutoff);
    if (endSessions) await this.revokeOtherSessions(userId, reason);
    await this.blocklist.voidTokensBefore(userId, cutoff);
    this.logger.log({ event: 'user.tokens_revoked', userId, reason });
  }

  /** Revokes one access token (its jti) and nothing else; its session continues. */
  async revokeAccessToken(principal: Principal): Promise<void> {
    await this.revokedTokens.insert(principal.tokenId, new Date(principal.expiresAt * 1000));
    await this.blocklist.revokeToken(principal.tokenId, principal.expiresAt);
    this.logger.log({ event: 'access_token.revoked', tokenId: principal.tokenId });
  }
}
