import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, MoreThan, Repository } from 'typeorm';
import { RevokedAccessToken } from './entities/revoked-access-token.entity.js';

@Injectable()
export class RevokedAccessTokensRepository {
  constructor(
    @InjectRepository(RevokedAccessToken)
    private readonly tokens: Repository<RevokedAccessToken>,
  ) {}

  /** Idempotent: revoking the same token twice keeps one row. */
  async insert(jti: string, expiresAt: Date): Promise<void> {
    await this.tokens
      .createQueryBuilder()
      .insert()
      .into(RevokedAccessToken)
      .values({ jti, expiresAt })
      .orIgnore()
      .execute();
  }

  async isRevoked(jti: string): Promise<boolean> {
    return this.tokens.exists({ where: { jti } });
  }

  /** Revocations whose token expires after `after`, to rebuild the blocklist from. */
  findExpiringAfter(after: Date): Promise<RevokedAccessToken[]> {
    return this.tokens.find({ where: { expiresAt: MoreThan(after) } });
  }

  async deleteExpiredBefore(before: Date): Promise<number> {
    const result = await this.tokens.delete({ expiresAt: LessThan(before) });
    return result.affected ?? 0;
  }
}
