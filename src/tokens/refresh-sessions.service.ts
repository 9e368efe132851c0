import { Injectable } from '@nestjs/common';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Config } from '../config/config.js';
import { InjectConfig } from '../config/config.module.js';
import { RefreshSession } from './entities/refresh-session.entity.js';
import { RefreshSessionsRepository, RevokeReason } from './refresh-sessions.repository.js';
import { TokenError } from './token.error.js';

export interface ClientMeta {
  userAgent: string | null;
  ip: string | null;
}

export interface IssuedRefreshToken {
  /** Shown to the client once; only its hash is stored. */
  token: string;
  session: RefreshSession;
}

/** 256 bits from the CSPRNG, base64url: 43 characters. */
const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function hashRefreshToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

@Injectable()
export class RefreshSessionsService {
  constructor(
    private readonly repository: RefreshSessionsRepository,
    @InjectConfig() private readonly config: Config,
  ) {}

  /** Starts a new session (a new family) for a user who just proved who they are. */
  async start(userId: string, meta: ClientMeta): Promise<IssuedRefreshToken> {
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    const now = new Date();
    const session = await this.repository.insert({
      familyId: randomUUID(),
      userId,
      tokenHash: hashRefreshToken(token),
      userAgent: meta.userAgent?.slice(0, 512) ?? null,
      ip: meta.ip,
      sessionStartedAt: now,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.config.auth.refreshTokenTtl * 1000),
    });
    return { token, session };
  }

  /**
   * Spends the presented token and issues its successor in the same family,
   * atomically. A token that was already spent is reuse: `ReuseDetectedError`
   * tells the caller to revoke the family and its access tokens.
   */
  async rotate(token: string, meta: ClientMeta): Promise<IssuedRefreshToken> {
    if (!TOKEN_PATTERN.test(token)) throw new TokenError('malformed', 'malformed refresh token');
    const tokenHash = hashRefreshToken(token);
    const next = randomBytes(TOKEN_BYTES).toString('base64url');
    const rotated = await this.repository.rotate(
      tokenHash,
      hashRefreshToken(next),
      this.config.auth.refreshIdleTtl,
      { userAgent: meta.userAgent?.slice(0, 512) ?? null, ip: meta.ip },
    );
    if (rotated) return { token: next, session: rotated };
    throw await this.refusal(tokenHash);
  }

  /** Why a token could not be spent. Reuse is reported for the caller to revoke the family everywhere. */
  private async refusal(tokenHash: Buffer): Promise<TokenError> {
    const found = await this.repository.findByTokenHash(tokenHash);
    if (found?.spentAt && !found.revokedAt)
      return new ReuseDetectedError(found.familyId, found.userId);
    return new TokenError('expired', 'refresh token is invalid, expired or revoked');
  }

  findByToken(token: string): Promise<RefreshSession | null> {
    if (!TOKEN_PATTERN.test(token)) return Promise.resolve(null);
    return this.repository.findByTokenHash(hashRefreshToken(token));
  }

  listLive(userId: string): Promise<RefreshSession[]> {
    return this.repository.findLiveByUser(userId, this.config.auth.refreshIdleTtl);
  }

  revokeFamily(familyId: string, reason: RevokeReason, userId?: string): Promise<boolean> {
    return this.repository.revokeFamily(familyId, reason, userId);
  }

  revokeAllForUser(userId: string, reason: RevokeReason, keepFamilyId?: string): Promise<string[]> {
    return this.repository.revokeAllForUser(userId, reason, keepFamilyId);
  }

  /** Whether this token is the family's current one and still usable. */
  isCurrent(session: RefreshSession): boolean {
    const idleLimit = Date.now() - this.config.auth.refreshIdleTtl * 1000;
    return (
      !session.spentAt &&
      !session.revokedAt &&
      session.expiresAt.getTime() > Date.now() &&
      session.createdAt.getTime() > idleLimit
    );
  }
}

/** A spent refresh token came back: its family is now revoked. */
export class ReuseDetectedError extends TokenError {
  constructor(
    readonly familyId: string,
    readonly userId: string,
  ) {
    super('revoked', 'refresh token reuse detected; the session has been revoked');
  }
}
