import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Consent } from './entities/consent.entity.js';

@Injectable()
export class ConsentsRepository {
  constructor(@InjectRepository(Consent) private readonly consents: Repository<Consent>) {}

  find(userId: string, clientId: string): Promise<Consent | null> {
    return this.consents.findOne({ where: { userId, clientId } });
  }

  async upsert(consent: Consent): Promise<void> {
    await this.consents.upsert(consent, ['userId', 'clientId']);
  }

  listByUser(userId: string): Promise<Consent[]> {
    return this.consents.find({ where: { userId }, order: { grantedAt: 'DESC' } });
  }

  async delete(userId: string, clientId: string): Promise<boolean> {
    const result = await this.consents.delete({ userId, clientId });
    return (result.affected ?? 0) > 0;
  }
}
