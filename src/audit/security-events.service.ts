import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type Actor, ANONYMOUS, currentRequestContext } from '../common/request-context.js';
import type { AppLogger } from '../logging/app-logger.js';
import { InjectAppLogger } from '../logging/logging.module.js';
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
  constructor(
    @InjectAppLogger() private readonly logger: AppLogger,
    private readonly auditTrail: AuditTrailService,
  ) {}

  async record(event: SecurityEvent, manager?: EntityManager): Promise<void> {
    const context = currentRequestContext();
    const actor = event.actor ?? context?.actor ?? ANONYMOUS;
    this.logEvent(event, actor, context?.ip ?? null);
    // Audited actions: a plain row in the caller's transaction; the sealer chains it later.
    await this.auditTrail.append(event, manager);
  }

  /**
   * One line with a stable `event` name (docs/operations.md lists them):
   * info for a success, warn for a failure. Its request id (`reqId`) comes
   * with every line logged in a request; the client IP is added here. The fields are named one by one;
   * `details` hold only small non-secret facts (see `SecurityEvent`).
   */
  private logEvent(event: SecurityEvent, actor: Actor, ip: string | null): void {
    const level = event.outcome === 'success' ? 'info' : 'warn';
    if (!this.logger.isLevelEnabled(level)) return;
    this.logger[level](
      {
        event: event.action,
        outcome: event.outcome,
        actor,
        ip,
        subject: event.subject,
        reason: event.reason,
        details: event.details,
      },
      'security event',
    );
  }
}
