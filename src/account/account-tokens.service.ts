import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { hashOpaqueToken, isOpaqueToken, newOpaqueToken } from '../common/opaque-token.js';
import { Clock } from '../common/clock.js';
import { AccountToken, type AccountTokenPurpose } from './entities/account-token.entity.js';

export type { AccountTokenPurpose } from './entities/account-token.entity.js';

/**
 * The tokens that mails carry. 256 bits from the CSPRNG, so they cannot be
 * guessed; stored as SHA-256, so the table hands out no working link; single
 * use; and at most one live token per user and purpose, so a newer mail
 * voids every older link of its kind.
 */
@Injectable()
export class AccountTokensService {
  constructor(private readonly clock: Clock) {}

  /** A new token; voids the user's unused tokens of the same purpose (in `manager`'s transaction). */
  async issue(
    userId: string,
    purpose: AccountTokenPurpose,
    ttlSeconds: number,
    manager: EntityManager,
    email?: string,
  ): Promise<string> {
    const now = this.clock.now();
    await this.voidAll(userId, purpose, manager);
    const raw = newOpaqueToken();
    await manager.insert(AccountToken, {
      userId,
      purpose,
      tokenHash: hashOpaqueToken(raw),
      email: email ?? null,
      expiresAt: new Date(now + ttlSeconds * 1000),
      createdAt: new Date(now),
    });
    return raw;
  }

  /**
   * Spends a token in one statement, so two requests with the same token
   * cannot both succeed. Null when it is unknown, of another purpose, spent,
   * voided or expired: the caller gives one answer for all of them.
   */
  async consume(
    raw: string,
    purpose: AccountTokenPurpose,
    manager: EntityManager,
  ): Promise<AccountToken | null> {
    if (!isOpaqueToken(raw)) return null;
    const now = new Date(this.clock.now());
    const result = await manager
      .createQueryBuilder()
      .update(AccountToken)
      .set({ usedAt: now })
      .where('token_hash = :hash AND purpose = :purpose', { hash: hashOpaqueToken(raw), purpose })
      .andWhere('used_at IS NULL AND expires_at > :now', { now })
      .returning('*')
      .execute();
    const row = (result.raw as Record<string, unknown>[])[0];
    return row ? manager.create(AccountToken, toEntity(row)) : null;
  }

  /** Voids every unused token of `purpose` for the user (a pending change is cancelled, a reset done). */
  async voidAll(
    userId: string,
    purpose: AccountTokenPurpose,
    manager: EntityManager,
  ): Promise<number> {
    const result = await manager
      .createQueryBuilder()
      .update(AccountToken)
      .set({ usedAt: new Date(this.clock.now()) })
      .where('user_id = :userId AND purpose = :purpose AND used_at IS NULL', { userId, purpose })
      .execute();
    return result.affected ?? 0;
  }
}

/** RETURNING gives column names; the entity wants property names. */
function toEntity(row: Record<string, unknown>): Partial<AccountToken> {
  return {
    id: row.id as string,
    userId: row.user_id as string,
    purpose: row.purpose as AccountTokenPurpose,
    email: (row.email as string | null) ?? null,
    expiresAt: new Date(row.expires_at as string),
    usedAt: new Date(row.used_at as string),
    createdAt: new Date(row.created_at as string),
  };
}
