import type { Actor } from '../../common/request-context.js';
import type { AuditEvent } from '../entities/audit-event.entity.js';

export class AuditActorDto {
  /** `user`, `client`, `system`, `cli` or `anonymous`. */
  type: Actor['type'];
  /** A user id or a client id; absent for `system`, `cli` and `anonymous`. */
  id?: string;
}

export class AuditSubjectDto {
  /** `user`, `client`, `key` or `session`. */
  type: string;
  id: string | null;
}

/** One audit row, as `GET /admin/audit` and `audit:export` show it. */
export class AuditEventResponseDto {
  /** @example 1042 */
  id: string;
  occurredAt: string;
  actor: AuditActorDto;
  subject: AuditSubjectDto | null;
  /** @example auth.sign_in.failed */
  action: string;
  /** `success` or `failure`. */
  outcome: string;
  /** For the operator: `wrong_password`, `unknown_user`, … */
  reason: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  details: Record<string, string | number | boolean | null | string[]> | null;
  /** The row's place in the chain; null until sealed (within seconds). */
  seq: string | null;
  prevHash: string | null;
  hash: string | null;
}

export class AuditEventPageDto {
  items: AuditEventResponseDto[];
  /** Matching rows over all pages. */
  total: number;
  page: number;
  limit: number;
}

/** Field by field: a new column never leaves the server by accident. */
export function toAuditEventResponse(row: AuditEvent): AuditEventResponseDto {
  return {
    id: row.id,
    occurredAt: row.occurredAt.toISOString(),
    actor: { type: row.actorType as Actor['type'], ...(row.actorId && { id: row.actorId }) },
    subject: row.subjectType ? { type: row.subjectType, id: row.subjectId } : null,
    action: row.action,
    outcome: row.outcome,
    reason: row.reason,
    ip: row.ip,
    userAgent: row.userAgent,
    requestId: row.requestId,
    details: row.details,
    seq: row.seq,
    prevHash: row.prevHash,
    hash: row.hash,
  };
}
