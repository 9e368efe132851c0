import { Injectable, NotFoundException } from '@nestjs/common';
import { SecurityEventsService } from '../audit/security-events.service.js';
import { OAuthClientsService } from '../clients/oauth-clients.service.js';
import { Clock } from '../common/clock.js';
import { TokenRevocationService } from '../tokens/token-revocation.service.js';
import { ConsentResponseDto } from './dto/consent-response.dto.js';
import { ConsentsRepository } from './consents.repository.js';

const scopesOf = (scope: string) => scope.split(' ').filter(Boolean);

/** What users allowed apps that are not first party, remembered per user and app. */
@Injectable()
export class ConsentsService {
  constructor(
    private readonly consents: ConsentsRepository,
    private readonly clients: OAuthClientsService,
    private readonly revocation: TokenRevocationService,
    private readonly events: SecurityEventsService,
    private readonly clock: Clock,
  ) {}

  /** Whether the user already allowed the client every scope of `scope`. */
  async covers(userId: string, clientId: string, scope: string): Promise<boolean> {
    const consent = await this.consents.find(userId, clientId);
    const granted = scopesOf(consent?.scope ?? '');
    return scopesOf(scope).every((wanted) => granted.includes(wanted));
  }

  /** Remembers `scope` for the client, beside what was allowed before. */
  async grant(userId: string, clientId: string, scope: string): Promise<void> {
    const previous = await this.consents.find(userId, clientId);
    const scopes = new Set([...scopesOf(previous?.scope ?? ''), ...scopesOf(scope)]);
    await this.consents.upsert({
      userId,
      clientId,
      scope: [...scopes].join(' '),
      grantedAt: new Date(this.clock.now()),
    });
    await this.events.record({
      action: 'consent.granted',
      outcome: 'success',
      subject: { type: 'user', id: userId },
      details: { clientId, scope },
    });
  }

  async list(userId: string): Promise<ConsentResponseDto[]> {
    const consents = await this.consents.listByUser(userId);
    const names = await this.clients.namesOf(consents.map((consent) => consent.clientId));
    return consents
      .filter((consent) => names.has(consent.clientId))
      .map((consent) => ({
        clientId: consent.clientId,
        clientName: names.get(consent.clientId)!,
        scope: consent.scope,
        grantedAt: consent.grantedAt,
      }));
  }

  /** Forgets the consent and ends the app's sessions of this user (404 if there was none). */
  async revoke(userId: string, clientId: string): Promise<void> {
    if (!(await this.consents.delete(userId, clientId))) {
      throw new NotFoundException('No consent for this application');
    }
    await this.revocation.revokeClientSessions(userId, clientId, 'consent_revoked');
    await this.events.record({
      action: 'consent.revoked',
      outcome: 'success',
      subject: { type: 'user', id: userId },
      details: { clientId },
    });
  }
}
