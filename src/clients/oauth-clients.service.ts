import { Injectable, NotFoundException } from '@nestjs/common';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SecurityEventsService } from '../audit/security-events.service.js';
import { CreateClientDto } from './dto/create-client.dto.js';
import { OAuthClient } from './entities/oauth-client.entity.js';
import { OAuthClientsRepository } from './oauth-clients.repository.js';

const CLIENT_ID_PATTERN = /^svc_[A-Za-z0-9_-]{16}$/;
const hashSecret = (secret: string) => createHash('sha256').update(secret).digest();
/** Compared against when the client id is unknown, so timing does not reveal which ids exist. */
const DUMMY_HASH = hashSecret('unknown client');

export interface CreatedClient {
  client: OAuthClient;
  secret: string;
}

@Injectable()
export class OAuthClientsService {
  constructor(
    private readonly clients: OAuthClientsRepository,
    private readonly events: SecurityEventsService,
  ) {}

  async create(dto: CreateClientDto): Promise<CreatedClient> {
    const clientId = `svc_${randomBytes(12).toString('base64url')}`;
    const secret = randomBytes(32).toString('base64url');
    const client = await this.clients.insert({
      clientId,
      name: dto.name,
      roles: dto.roles ?? [],
      secretHash: hashSecret(secret),
    });
    delete client.secretHash;
    await this.events.record({
      action: 'client.created',
      outcome: 'success',
      subject: { type: 'client', id: clientId },
      details: { name: client.name, roles: client.roles },
    });
    return { client, secret };
  }

  /** The client if id and secret match and it is enabled; `null` otherwise. */
  async authenticate(clientId: string, secret: string): Promise<OAuthClient | null> {
    const client = CLIENT_ID_PATTERN.test(clientId)
      ? await this.clients.findByClientIdWithSecret(clientId)
      : null;
    const matches = timingSafeEqual(client?.secretHash ?? DUMMY_HASH, hashSecret(secret));
    if (!client || !matches || client.disabled) return null;
    delete client.secretHash;
    return client;
  }

  list(): Promise<OAuthClient[]> {
    return this.clients.listAll();
  }

  async delete(clientId: string): Promise<void> {
    if (!(await this.clients.delete(clientId))) throw new NotFoundException('Client not found');
    await this.events.record({
      action: 'client.deleted',
      outcome: 'success',
      subject: { type: 'client', id: clientId },
    });
  }
}
