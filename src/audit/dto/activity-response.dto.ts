import type { AuditEvent } from '../entities/audit-event.entity.js';

/**
 * One security event of the caller's own account: what happened, when, and
 * from where. Never the operator's reason, the actor's id or any detail.
 */
export class ActivityResponseDto {
  occurredAt: string;
  /** @example auth.sign_in.succeeded */
  action: string;
  /** `success` or `failure`. */
  outcome: string;
  ip: string | null;
  userAgent: string | null;
}

export function toActivityResponse(row: AuditEvent): ActivityResponseDto {
  return {
    occurredAt: row.occurredAt.toISOString(),
    action: row.action,
    outcome: row.outcome,
    ip: row.ip,
    userAgent: row.userAgent,
  };
}
