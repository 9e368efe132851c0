import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Not, Repository } from 'typeorm';
import type { RequestOrigin } from '../common/request-origin.js';
import type { Role } from '../common/role.enum.js';
import { RefreshSession } from './entities/refresh-session.entity.js';

export type RevokeReason =
  | 'logout'
  | 'logout_all'
  | 'reuse'
  | 'password_change'
  | 'password_reset'
  | 'password_guessing'
  | 'admin'
  | 'disabled'
  | 'idle'
  | 'code_replay'
  | 'consent_revoked';

/** What a new session's first token records (the rest is the database's). */
export type NewRefreshSession = Pick<
  RefreshSession,
  | 'sessionId'
  | 'userId'
  | 'tokenHash'
  | 'userAgent'
  | 'ip'
  | 'sessionStartedAt'
  | 'lastUsedAt'
  | 'expiresAt'
  | 'clientId'
  | 'scope'
  | 'ssoSessionId'
>;

/** A rotated token's successor, with the roles of its user if that user is active. */
export interface RotatedSession {
  session: RefreshSession;
  activeRoles: Role[] | null;
}

const LIVE = 'spent_at IS NULL AND revoked_at IS NULL AND expires_at > now()';

@Injectable()
export class RefreshSessionsRepository {
  constructor(
    @InjectRepository(RefreshSession) private readonly sessions: Repository<RefreshSession>,
  ) {}

  /** One INSERT … RETURNING, raw (no wrapping transaction, no query building: a sign-in's hot path). */
  async insert(session: NewRefreshSession): Promise<RefreshSession> {
    const rows: Record<string, unknown>[] = await this.sessions.query(
      `INSERT INTO ${this.table('refresh_sessions')} (family_id, user_id, token_hash, user_agent, ip,
         session_started_at, created_at, expires_at, client_id, scope, sso_session_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       RETURNING *`,
      [
        session.sessionId,
        session.userId,
        session.tokenHash,
        session.userAgent,
        session.ip,
        session.sessionStartedAt,
        session.lastUsedAt,
        session.expiresAt,
        session.clientId,
        session.scope,
        session.ssoSessionId,
      ],
    );
    return Object.assign(new RefreshSession(), this.fromRaw(rows[0]));
  }

  /**
   * Spends a live token and inserts its successor in one statement (so in
   * one round trip, atomically). Of any number of concurrent callers with
   * the same token, exactly one gets a row back: the others wait on its row
   * lock, then find it spent and insert nothing. The successor records
   * `origin` where it is known, else the spent token's. The same statement
   * reads the roles of the session's user if that user may still sign in
   * (`activeRoles`; `null` for a disabled user), so a refresh takes one
   * connection from the pool, once.
   */
  async rotate(
    tokenHash: Buffer,
    nextTokenHash: Buffer,
    idleSeconds: number,
    origin: RequestOrigin,
    clientId: string | null,
  ): Promise<RotatedSession | null> {
    const rows: Record<string, unknown>[] = await this.sessions.query(
      `WITH spent AS (
         UPDATE ${this.table('refresh_sessions')} SET spent_at = now()
         WHERE token_hash = $1 AND ${LIVE} AND created_at > now() - make_interval(secs => $3)
           AND client_id IS NOT DISTINCT FROM $6
         RETURNING family_id, user_id, user_agent, ip, session_started_at, expires_at,
           client_id, scope, sso_session_id
       ), issued AS (
         INSERT INTO ${this.table('refresh_sessions')} (family_id, user_id, token_hash, user_agent,
           ip, session_started_at, expires_at, client_id, scope, sso_session_id)
         SELECT family_id, user_id, $2, coalesce($4, user_agent), coalesce($5, ip),
           session_started_at, expires_at, client_id, scope, sso_session_id
         FROM spent
         RETURNING *
       )
       SELECT issued.*, (SELECT roles FROM ${this.table('users')}
         WHERE id = issued.user_id AND disabled = false) AS active_roles
       FROM issued`,
      [tokenHash, nextTokenHash, idleSeconds, origin.userAgent, origin.ip, clientId],
    );
    if (!rows[0]) return null;
    const session = Object.assign(new RefreshSession(), this.fromRaw(rows[0]));
    return { session, activeRoles: (rows[0].active_roles as Role[] | null) ?? null };
  }

  /** A table of this data source's schema, quoted for raw SQL. */
  private table(name: string): string {
    const schema = this.sessions.metadata.schema;
    return schema ? `"${schema}"."${name}"` : `"${name}"`;
  }

  findByTokenHash(
    tokenHash: Buffer,
    manager = this.sessions.manager,
  ): Promise<RefreshSession | null> {
    return manager.findOne(RefreshSession, { where: { tokenHash } });
  }

  /** Revokes every token of a session; returns whether anything live was revoked. */
  async revokeSession(
    sessionId: string,
    reason: RevokeReason,
    userId?: string,
    manager = this.sessions.manager,
  ): Promise<boolean> {
    const query = manager
      .createQueryBuilder()
      .update(RefreshSession)
      .set({ revokedAt: () => 'now()', revokedReason: reason })
      .where('family_id = :sessionId AND revoked_at IS NULL', { sessionId });
    if (userId) query.andWhere('user_id = :userId', { userId });
    const result = await query.execute();
    return (result.affected ?? 0) > 0;
  }

  /** Revokes every session of a user but `keepSessionId`; returns the revoked session ids. */
  async revokeAllForUser(
    userId: string,
    reason: RevokeReason,
    keepSessionId?: string,
  ): Promise<string[]> {
    const query = this.sessions
      .createQueryBuilder()
      .update(RefreshSession)
      .set({ revokedAt: () => 'now()', revokedReason: reason })
      .where('user_id = :userId AND revoked_at IS NULL', { userId })
      // A raw column name: an array is read as property names, and an unknown one silently drops RETURNING.
      .returning('family_id');
    if (keepSessionId) query.andWhere('family_id <> :keepSessionId', { keepSessionId });
    const result = await query.execute();
    return [...new Set((result.raw as { family_id: string }[]).map((row) => row.family_id))];
  }

  /** Revokes every session issued through these SSO sessions; returns their ids. */
  revokeBySsoSessions(ssoSessionIds: string[], reason: RevokeReason): Promise<string[]> {
    if (ssoSessionIds.length === 0) return Promise.resolve([]);
    return this.revokeWhere('sso_session_id IN (:...ssoSessionIds)', { ssoSessionIds }, reason);
  }

  /** Revokes a user's sessions issued to one client; returns their ids. */
  revokeClientSessions(userId: string, clientId: string, reason: RevokeReason): Promise<string[]> {
    return this.revokeWhere(
      'user_id = :userId AND client_id = :clientId',
      { userId, clientId },
      reason,
    );
  }

  private async revokeWhere(
    condition: string,
    parameters: Record<string, unknown>,
    reason: RevokeReason,
  ): Promise<string[]> {
    const result = await this.sessions
      .createQueryBuilder()
      .update(RefreshSession)
      .set({ revokedAt: () => 'now()', revokedReason: reason })
      .where(`${condition} AND revoked_at IS NULL`, parameters)
      .returning('family_id')
      .execute();
    return [...new Set((result.raw as { family_id: string }[]).map((row) => row.family_id))];
  }

  /** The current token of each live session of a user, most recently used first. */
  findLiveByUser(userId: string, idleSeconds: number): Promise<RefreshSession[]> {
    return this.sessions
      .createQueryBuilder('session')
      .where(`session.user_id = :userId AND ${LIVE.replace(/(\w+_at)/g, 'session.$1')}`, { userId })
      .andWhere('session.created_at > now() - make_interval(secs => :idleSeconds)', { idleSeconds })
      .orderBy('session.created_at', 'DESC')
      .getMany();
  }

  /** Sessions revoked since `since`: their access tokens may still be unexpired. */
  async findSessionsRevokedSince(since: Date): Promise<string[]> {
    const rows = await this.sessions
      .createQueryBuilder('session')
      .select('DISTINCT session.family_id', 'sessionId')
      .where('session.revoked_at > :since', { since })
      .getRawMany<{ sessionId: string }>();
    return rows.map((row) => row.sessionId);
  }

  isSessionRevoked(sessionId: string): Promise<boolean> {
    return this.sessions.exists({ where: { sessionId, revokedAt: Not(IsNull()) } });
  }

  async deleteExpiredBefore(before: Date): Promise<number> {
    const result = await this.sessions
      .createQueryBuilder()
      .delete()
      .where('expires_at < :before', { before })
      .execute();
    return result.affected ?? 0;
  }

  private fromRaw(raw: Record<string, unknown>): Partial<RefreshSession> {
    return {
      id: raw.id as string,
      sessionId: raw.family_id as string,
      userId: raw.user_id as string,
      tokenHash: raw.token_hash as Buffer,
      userAgent: raw.user_agent as string | null,
      ip: raw.ip as string | null,
      sessionStartedAt: raw.session_started_at as Date,
      lastUsedAt: raw.created_at as Date,
      expiresAt: raw.expires_at as Date,
      spentAt: raw.spent_at as Date | null,
      revokedAt: raw.revoked_at as Date | null,
      revokedReason: raw.revoked_reason as string | null,
      clientId: raw.client_id as string | null,
      scope: raw.scope as string | null,
      ssoSessionId: raw.sso_session_id as string | null,
    };
  }
}
