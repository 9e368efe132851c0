import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { currentRequestContext } from '../common/request-context.js';
import { AuditTrailService } from './audit-trail.service.js';
import type { SecurityEvent } from './security-event.js';

/**
 * The one place a security-relevant action is reported: a named log event,
 * and (for audited actions) an audit row and any alert, written through
 * `manager` when the caller has a transaction open, so the event commits or
 * rolls back with what caused it.
 */
@Injectable()
export class SecurityEventsService {
  private readonly logger = new Logger('security');

  constructor(private readonly auditTrail: AuditTrailService) {}

  async record(event: SecurityEvent, manager?: EntityManager): Promise<void> {
    const context = currentRequestContext();
    const actor = event.actor ?? context?.actor ?? { type: 'anonymous' };
    this.logger.log({
      event: event.action,
      outcome: event.outcome,
      actor,
      subject: event.subject,
      reason: event.reason,
      ...event.details,
    });

    // Audited actions: a plain row in the caller's transaction; the sealer chains it later.
    await this.auditTrail.append(event, manager);
  }
}
