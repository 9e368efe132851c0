import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Clock } from '../common/clock.js';
import { currentRequestContext } from '../common/request-context.js';
import { AuditEventsRepository, AuditFilter } from './audit-events.repository.js';
import type { AuditEvent } from './entities/audit-event.entity.js';
import { SECURITY_ACTIONS, SecurityAction, SecurityEvent } from './security-event.js';

/** What a user sees of their own account's history (`GET /auth/activity`). */
export const ACTIVITY_ACTIONS: SecurityAction[] = [
  'auth.sign_in.succeeded',
  'auth.sign_in.failed',
  'auth.refresh.reuse_detected',
  'auth.logout',
  'auth.logout_all',
  'session.revoked',
  'user.registered',
  'user.password_changed',
  'password.reset_requested',
  'password.reset',
  'email.verified',
  'email.change_requested',
  'email.changed',
  'email.change_reported',
  'admin.user.email_changed',
  'admin.user.sessions_revoked',
];

/**
 * The audit trail's rows: appended plain (the sealer chains them later, so
 * no request waits for the chain), listed for admins, and a user's own.
 */
@Injectable()
export class AuditTrailService {
  constructor(
    private readonly clock: Clock,
    private readonly events: AuditEventsRepository,
  ) {}

  /**
   * Appends `event` if its action is audited: one INSERT, through `manager`
   * when given so it commits with its cause. Who, from where and in which
   * request come from the request context unless the event names the actor.
   */
  async append(event: SecurityEvent, manager?: EntityManager): Promise<void> {
    if (!SECURITY_ACTIONS[event.action].audit) return;
    const context = currentRequestContext();
    const actor = event.actor ?? context?.actor ?? { type: 'anonymous' };
    await this.events.append(
      {
        occurredAt: new Date(this.clock.now()),
        actorType: actor.type,
        actorId: actor.id ?? null,
        subjectType: event.subject?.type ?? null,
        subjectId: event.subject?.id ?? null,
        action: event.action,
        outcome: event.outcome,
        reason: event.reason ?? null,
        ip: context?.ip ?? null,
        userAgent: context?.userAgent?.slice(0, 512) ?? null,
        requestId: context?.requestId ?? null,
        details: event.details ? storableDetails(event.details) : null,
      },
      manager,
    );
  }

  list(filter: AuditFilter, page: number, limit: number): Promise<[AuditEvent[], number]> {
    return this.events.findPage(filter, page, limit);
  }

  /** The latest security events about `userId`'s own account. */
  activityOf(userId: string, limit: number): Promise<AuditEvent[]> {
    return this.events.findRecentAbout(userId, ACTIVITY_ACTIONS, limit);
  }
}

/**
 * PostgreSQL text and jsonb cannot hold U+0000, which a login name as typed
 * may contain: such characters are stored as U+FFFD instead of failing the
 * request that reports them.
 */
function storableDetails(
  details: NonNullable<SecurityEvent['details']>,
): NonNullable<SecurityEvent['details']> {
  const storable = (text: string) => text.replaceAll('\u0000', '\uFFFD');
  return Object.fromEntries(
    Object.entries(details).map(([key, value]) => [
      key,
      typeof value === 'string'
        ? storable(value)
        : Array.isArray(value)
          ? value.map(storable)
          : value,
    ]),
  );
}
