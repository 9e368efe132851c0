import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { OAuthClient } from './entities/oauth-client.entity.js';

@Injectable()
export class OAuthClientsRepository {
  constructor(@InjectRepository(OAuthClient) private readonly clients: Repository<OAuthClient>) {}

  insert(client: Partial<OAuthClient>): Promise<OAuthClient> {
    return this.clients.save(this.clients.create(client));
  }

  /** Creates or resets a client the server itself defines, by its fixed client id. */
  async upsertBuiltIn(client: Partial<OAuthClient> & { clientId: string }): Promise<void> {
    await this.clients.upsert(client, { conflictPaths: ['clientId'] });
  }

  /** The only query that loads a secret hash. */
  findByClientIdWithSecret(clientId: string): Promise<OAuthClient | null> {
    return this.clients
      .createQueryBuilder('client')
      .addSelect('client.secretHash')
      .where('client.client_id = :clientId', { clientId })
      .getOne();
  }

  findByClientId(clientId: string): Promise<OAuthClient | null> {
    return this.clients.findOne({ where: { clientId } });
  }

  findByClientIds(clientIds: string[]): Promise<OAuthClient[]> {
    return this.clients.find({ where: { clientId: In(clientIds) } });
  }

  listAll(): Promise<OAuthClient[]> {
    return this.clients.find({ order: { createdAt: 'DESC' } });
  }

  async delete(clientId: string): Promise<boolean> {
    const result = await this.clients.delete({ clientId });
    return (result.affected ?? 0) > 0;
  }
}
