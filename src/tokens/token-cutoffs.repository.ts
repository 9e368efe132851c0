import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, MoreThan, Repository } from 'typeorm';
import { TokenCutoff } from './entities/token-cutoff.entity.js';

@Injectable()
export class TokenCutoffsRepository {
  constructor(@InjectRepository(TokenCutoff) private readonly cutoffs: Repository<TokenCutoff>) {}

  async upsert(userId: string, notBefore: Date): Promise<void> {
    await this.cutoffs.upsert({ userId, notBefore }, ['userId']);
  }

  async deleteOlderThan(before: Date): Promise<number> {
    const result = await this.cutoffs.delete({ notBefore: LessThan(before) });
    return result.affected ?? 0;
  }

  async findNotBefore(userId: string): Promise<Date | null> {
    const row = await this.cutoffs.findOne({ where: { userId } });
    return row?.notBefore ?? null;
  }

  findSince(since: Date): Promise<TokenCutoff[]> {
    return this.cutoffs.find({ where: { notBefore: MoreThan(since) } });
  }
}
