import { Injectable, NotFoundException } from '@nestjs/common';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { SecurityEventsService } from '../audit/security-events.service.js';
import { hashOpaqueToken, newOpaqueToken } from '../common/opaque-token.js';
import {
  ClientMetadataInput,
  resolveClientMetadata,
  type TokenEndpointAuthMethod,
} from './client-metadata.js';
import { OAuthClient } from './entities/oauth-client.entity.js';
import { OAuthClientsRepository } from './oauth-clients.repository.js';

/** `svc_` for services (client credentials only), `app_` for apps users sign in to. */
const CLIENT_ID_PATTERN = /^(?:svc|app)_[A-Za-z0-9_-]{16}$/;
/** Compared against when there is no stored hash, so timing does not reveal which ids exist. */
const DUMMY_HASH = hashOpaqueToken('unknown client');

/** A client's credentials as a token request carries them, and the method it used (RFC 6749 §2.3). */
export interface PresentedClient {
  clientId: string;
  /** `null` when only the client id was sent (`none`: a public client). */
  clientSecret: string | null;
  method: TokenEndpointAuthMethod;
}

export interface CreatedClient {
  client: OAuthClient;
  /** The secret of a confidential client, to show once; `null` for a public client. */
  secret: string | null;
}

@Injectable()
export class OAuthClientsService {
  constructor(
    private readonly clients: OAuthClientsRepository,
    private readonly events: SecurityEventsService,
  ) {}

  /** Registers a client from RFC 7591 metadata (400 naming each field that breaks a rule). */
  async create(input: ClientMetadataInput): Promise<CreatedClient> {
    const metadata = resolveClientMetadata(input);
    const isService = !metadata.grantTypes.includes('authorization_code');
    const clientId = `${isService ? 'svc' : 'app'}_${randomBytes(12).toString('base64url')}`;
    const secret = metadata.tokenEndpointAuthMethod === 'none' ? null : newOpaqueToken();
    const client = await this.clients.insert({
      clientId,
      ...metadata,
      secretHash: secret === null ? null : hashOpaqueToken(secret),
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

  /**
   * The client if it authenticated the way it registered (Basic, body, or
   * for a public client its id alone) with the right secret, and is enabled;
   * `null` otherwise. A public client that presents a secret, or a
   * confidential one that presents none, is refused.
   */
  async authenticate(presented: PresentedClient): Promise<OAuthClient | null> {
    const client = CLIENT_ID_PATTERN.test(presented.clientId)
      ? await this.clients.findByClientIdWithSecret(presented.clientId)
      : null;
    const secretMatches = timingSafeEqual(
      client?.secretHash ?? DUMMY_HASH,
      hashOpaqueToken(presented.clientSecret ?? ''),
    );
    if (!client || client.disabled) return null;
    if (client.tokenEndpointAuthMethod !== presented.method) return null;
    if (presented.method !== 'none' && !secretMatches) return null;
    delete client.secretHash;
    return client;
  }

  /** An enabled client by its id, without its secret (the authorization endpoint); `null` otherwise. */
  async findEnabled(clientId: string): Promise<OAuthClient | null> {
    if (!CLIENT_ID_PATTERN.test(clientId)) return null;
    const client = await this.clients.findByClientId(clientId);
    return client && !client.disabled ? client : null;
  }

  /** The names of these clients, by client id (for session and consent lists). */
  async namesOf(clientIds: string[]): Promise<Map<string, string>> {
    const unique = [...new Set(clientIds)];
    const clients = unique.length > 0 ? await this.clients.findByClientIds(unique) : [];
    return new Map(clients.map((client) => [client.clientId, client.name]));
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
