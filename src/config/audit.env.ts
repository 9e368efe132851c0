import { IsWholeNumber, wholeNumber } from './env.js';

export interface AuditSettings {
  /** Sealed audit rows older than this many days are pruned; 0 keeps them forever. */
  retentionDays: number;
}

/** The audit trail: how long its rows are kept. */
export class AuditEnv {
  @IsWholeNumber(0, 36_500)
  AUDIT_RETENTION_DAYS?: string;
}

export function auditSettings(env: AuditEnv): AuditSettings {
  return { retentionDays: wholeNumber(env.AUDIT_RETENTION_DAYS, 365) };
}
