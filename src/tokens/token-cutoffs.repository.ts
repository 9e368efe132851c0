import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { MoreThan, Repository } from 'typeorm';
import { TokenCutoff } from './entities/token-cutoff.entity.js';

@Injectable()
export class TokenCutoffsRepository {
  constructor(@InjectRepository(TokenCutoff) private readonly cutoffs: Repository<TokenCutoff>) {}

  async upsert(userId: string, notBefore: Date): Promise<void> {
    await this.cutoffs.upsert({ userId, notBefore }, ['userId']);
  }

  findSince(since: Date): Promise<TokenCutoff[]> {
    return this.cutoffs.find({ where: { notBefore: MoreThan(since) } });
  }
}
