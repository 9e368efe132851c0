import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { randomUUID } from 'node:crypto';
import { Clock } from '../common/clock.js';
import { hashOpaqueToken, isOpaqueToken, newOpaqueToken } from '../common/opaque-token.js';
import type { RequestOrigin } from '../common/request-origin.js';
import type { Role } from '../common/role.enum.js';
import type { Config } from '../config/config.js';
import { InjectConfig } from '../config/config.module.js';
import { RefreshSession } from './entities/refresh-session.entity.js';
import { RefreshSessionsRepository, RevokeReason } from './refresh-sessions.repository.js';
import { TokenError } from './token.error.js';

/** What a session issued to an app records (authorization-code grant). */
export interface SessionGrant {
  /** The session's id, chosen beforehand (an authorization code records it before the session starts). */
  sessionId: string;
  clientId: string;
  scope: string;
  /** The SSO session it was issued through. */
  ssoSessionId: string;
  /** A shorter life than REFRESH_TOKEN_TTL (a session whose refresh token is not handed out). */
  lifetimeSeconds?: number;
}

export interface IssuedRefreshToken {
  /** Shown to the client once; only its hash is stored. */
  token: string;
  /** The token's row: `sessionId` is the session it belongs to. */
  session: RefreshSession;
}

/** A rotated token: its successor, and the roles of the session's user if that user is still active. */
export interface RotatedRefreshToken extends IssuedRefreshToken {
  /** `null` when the user is disabled: the caller ends the session. */
  activeRoles: Role[] | null;
}

const MAX_USER_AGENT = 512;

/** As a session records it: the user agent cut to its column. */
const recorded = (origin: RequestOrigin): RequestOrigin => ({
  userAgent: origin.userAgent?.slice(0, MAX_USER_AGENT) ?? null,
  ip: origin.ip,
});

/** Refresh sessions: opaque refresh tokens, rotated on every use, one row per token. */
@Injectable()
export class RefreshSessionsService {
  constructor(
    private readonly repository: RefreshSessionsRepository,
    private readonly clock: Clock,
    @InjectConfig() private readonly config: Config,
  ) {}

  /** Starts a new session for a user who just proved who they are (for an app: `grant`). */
  async start(
    userId: string,
    origin: RequestOrigin,
    grant?: SessionGrant,
  ): Promise<IssuedRefreshToken> {
    const token = newOpaqueToken();
    const now = new Date(this.clock.now());
    const lifetime = grant?.lifetimeSeconds ?? this.config.auth.refreshTokenTtl;
    const session = await this.repository.insert({
      sessionId: grant?.sessionId ?? randomUUID(),
      userId,
      tokenHash: hashOpaqueToken(token),
      ...recorded(origin),
      sessionStartedAt: now,
      lastUsedAt: now,
      expiresAt: new Date(now.getTime() + lifetime * 1000),
      clientId: grant?.clientId ?? null,
      scope: grant?.scope ?? null,
      ssoSessionId: grant?.ssoSessionId ?? null,
    });
    return { token, session };
  }

  /**
   * Spends the presented token and issues its successor in the same session,
   * atomically. A token that was already spent is reuse: `ReuseDetectedError`
   * tells the caller to revoke the session and its access tokens. Only the
   * app the session was issued to (`clientId`; `null` for a direct sign-in)
   * may spend it: for anyone else it is no valid token. The answer carries
   * the user's roles from the same statement (`null` for a disabled user).
   */
  async rotate(
    token: string,
    origin: RequestOrigin,
    clientId: string | null = null,
  ): Promise<RotatedRefreshToken> {
    if (!isOpaqueToken(token)) throw new TokenError('malformed', 'malformed refresh token');
    const tokenHash = hashOpaqueToken(token);
    const next = newOpaqueToken();
    const rotated = await this.repository.rotate(
      tokenHash,
      hashOpaqueToken(next),
      this.config.auth.refreshIdleTtl,
      recorded(origin),
      clientId,
    );
    if (rotated) return { token: next, ...rotated };
    throw await this.refusal(tokenHash, clientId);
  }

  /** Why a token could not be spent. Reuse is reported for the caller to revoke the session everywhere. */
  private async refusal(tokenHash: Buffer, clientId: string | null): Promise<TokenError> {
    const found = await this.repository.findByTokenHash(tokenHash);
    if (found?.spentAt && !found.revokedAt && found.clientId === clientId) {
      return new ReuseDetectedError(found.sessionId, found.userId);
    }
    return new TokenError('expired', 'refresh token is invalid, expired or revoked');
  }

  findByToken(token: string): Promise<RefreshSession | null> {
    if (!isOpaqueToken(token)) return Promise.resolve(null);
    return this.repository.findByTokenHash(hashOpaqueToken(token));
  }

  listLive(userId: string): Promise<RefreshSession[]> {
    return this.repository.findLiveByUser(userId, this.config.auth.refreshIdleTtl);
  }

  /** Through `manager` when the caller has a transaction open. */
  revokeSession(
    sessionId: string,
    reason: RevokeReason,
    userId?: string,
    manager?: EntityManager,
  ): Promise<boolean> {
    return this.repository.revokeSession(sessionId, reason, userId, manager);
  }

  /** Revokes the sessions issued through these SSO sessions; returns their ids. */
  revokeIssuedThrough(ssoSessionIds: string[], reason: RevokeReason): Promise<string[]> {
    return this.repository.revokeBySsoSessions(ssoSessionIds, reason);
  }

  revokeClientSessions(userId: string, clientId: string, reason: RevokeReason): Promise<string[]> {
    return this.repository.revokeClientSessions(userId, clientId, reason);
  }

  revokeAllForUser(
    userId: string,
    reason: RevokeReason,
    keepSessionId?: string,
  ): Promise<string[]> {
    return this.repository.revokeAllForUser(userId, reason, keepSessionId);
  }

  /** Whether this token is its session's current one and still usable. */
  isCurrent(session: RefreshSession): boolean {
    const now = this.clock.now();
    return (
      !session.spentAt &&
      !session.revokedAt &&
      session.expiresAt.getTime() > now &&
      session.lastUsedAt.getTime() > now - this.config.auth.refreshIdleTtl * 1000
    );
  }
}

/** A spent refresh token came back: its session must be revoked. */
export class ReuseDetectedError extends TokenError {
  constructor(
    readonly sessionId: string,
    readonly userId: string,
  ) {
    super('revoked', 'refresh token reuse detected; the session has been revoked');
  }
}
