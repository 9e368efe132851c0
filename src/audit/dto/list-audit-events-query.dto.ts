import { PageQueryDto } from '../../common/validation/page-query.dto.js';
import { IsIn, IsISO8601, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import type { AuditFilter } from '../audit-events.repository.js';
import { SECURITY_ACTIONS } from '../security-event.js';

/** Printable text without control characters (PostgreSQL text cannot hold U+0000). */
const PRINTABLE = /^[^\p{Cc}]+$/u;

export class ListAuditEventsQueryDto extends PageQueryDto {
  /** Only events about this subject type. */
  @IsOptional()
  @IsIn(['user', 'client', 'key', 'session'])
  subjectType?: string;

  /** Only events about this subject: a user id, client id, key id or session id. */
  @IsOptional()
  @IsString()
  @MaxLength(128)
  @Matches(PRINTABLE, { message: 'subject must be printable text' })
  subject?: string;

  /** Only events by this actor: a user id or a client id. */
  @IsOptional()
  @IsString()
  @MaxLength(128)
  @Matches(PRINTABLE, { message: 'actor must be printable text' })
  actor?: string;

  /** Only this action. */
  @IsOptional()
  @IsIn(Object.keys(SECURITY_ACTIONS))
  action?: string;

  /** Events at or after this time (ISO 8601). */
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  from?: string;

  /** Events before this time (ISO 8601). */
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  to?: string;
}

/** The rows a query selects (`GET /admin/audit`, `audit:export`). */
export function toAuditFilter(query: ListAuditEventsQueryDto): AuditFilter {
  return {
    subjectType: query.subjectType,
    subjectId: query.subject,
    actorId: query.actor,
    action: query.action,
    from: query.from === undefined ? undefined : new Date(query.from),
    to: query.to === undefined ? undefined : new Date(query.to),
  };
}
