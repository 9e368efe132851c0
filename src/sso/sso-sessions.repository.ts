import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, MoreThan, Repository } from 'typeorm';
import { SsoSession } from './entities/sso-session.entity.js';

@Injectable()
export class SsoSessionsRepository {
  constructor(@InjectRepository(SsoSession) private readonly sessions: Repository<SsoSession>) {}

  insert(session: Partial<SsoSession>): Promise<SsoSession> {
    return this.sessions.save(this.sessions.create(session));
  }

  /** The session of a cookie token, if it has not ended or expired by `now`. */
  findLiveByTokenHash(tokenHash: Buffer, now: Date): Promise<SsoSession | null> {
    return this.sessions.findOne({
      where: { tokenHash, endedAt: IsNull(), expiresAt: MoreThan(now) },
    });
  }

  findLiveById(id: string, now: Date): Promise<SsoSession | null> {
    return this.sessions.findOne({ where: { id, endedAt: IsNull(), expiresAt: MoreThan(now) } });
  }

  async updateAuthTime(id: string, authTime: Date): Promise<void> {
    await this.sessions.update({ id }, { authTime });
  }

  /** Ends one session; whether it was still going. */
  async end(id: string): Promise<boolean> {
    const result = await this.sessions.update(
      { id, endedAt: IsNull() },
      { endedAt: () => 'now()' },
    );
    return (result.affected ?? 0) > 0;
  }

  /** Ends every session of a user; returns their ids. */
  async endAllForUser(userId: string): Promise<string[]> {
    const result = await this.sessions
      .createQueryBuilder()
      .update(SsoSession)
      .set({ endedAt: () => 'now()' })
      .where('user_id = :userId AND ended_at IS NULL', { userId })
      .returning('id')
      .execute();
    return (result.raw as { id: string }[]).map((row) => row.id);
  }

  async deleteExpiredBefore(before: Date): Promise<void> {
    await this.sessions
      .createQueryBuilder()
      .delete()
      .where('expires_at < :before', { before })
      .execute();
  }
}
