import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AuthorizationCode } from './entities/authorization-code.entity.js';

@Injectable()
export class AuthorizationCodesRepository {
  constructor(
    @InjectRepository(AuthorizationCode) private readonly codes: Repository<AuthorizationCode>,
  ) {}

  async insert(code: AuthorizationCode): Promise<void> {
    await this.codes.insert(code);
  }

  findByHash(codeHash: Buffer): Promise<AuthorizationCode | null> {
    return this.codes.findOne({ where: { codeHash } });
  }

  /**
   * Marks an unused code used, naming the session its redemption starts.
   * Of any number of concurrent callers exactly one succeeds: the others
   * wait on the row lock and then find it used.
   */
  async claim(codeHash: Buffer, sessionId: string): Promise<boolean> {
    const result = await this.codes
      .createQueryBuilder()
      .update(AuthorizationCode)
      .set({ redeemedAt: () => 'now()', sessionId })
      .where('code_hash = :codeHash AND redeemed_at IS NULL', { codeHash })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /** Records that a used code came back; returns the session its first use started, if any yet. */
  async markReplayed(codeHash: Buffer): Promise<{ sessionId: string | null } | null> {
    const result = await this.codes
      .createQueryBuilder()
      .update(AuthorizationCode)
      .set({ replayedAt: () => 'now()' })
      .where('code_hash = :codeHash', { codeHash })
      .returning('session_id')
      .execute();
    const row = (result.raw as { session_id: string | null }[])[0];
    return row ? { sessionId: row.session_id } : null;
  }

  async wasReplayed(codeHash: Buffer): Promise<boolean> {
    const code = await this.codes.findOne({ where: { codeHash }, select: { replayedAt: true } });
    return !!code?.replayedAt;
  }

  async deleteExpiredBefore(before: Date): Promise<void> {
    await this.codes
      .createQueryBuilder()
      .delete()
      .where('expires_at < :before', { before })
      .execute();
  }
}
