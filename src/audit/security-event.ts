import type { Actor } from '../common/request-context.js';

/**
 * The stable names of security-relevant events (docs/operations.md lists
 * them). `audit: true` events are also rows in the audit trail; the others
 * are log lines only (a routine refresh is counted in metrics instead).
 */
export const SECURITY_ACTIONS = {
  'auth.sign_in.succeeded': { audit: true },
  'auth.sign_in.failed': { audit: true },
  'auth.reauthentication.failed': { audit: true },
  'auth.refresh.succeeded': { audit: false },
  'auth.refresh.reuse_detected': { audit: true },
  'auth.logout': { audit: true },
  'auth.logout_all': { audit: true },
  'session.revoked': { audit: true },
  'token.revoked': { audit: true },
  'rate_limit.exceeded': { audit: false },
  'user.registered': { audit: true },
  'user.password_changed': { audit: true },
  'password.reset_requested': { audit: true },
  'password.reset': { audit: true },
  'admin.user.updated': { audit: true },
  'admin.user.deleted': { audit: true },
  'admin.user.sessions_revoked': { audit: true },
  'client.created': { audit: true },
  'client.deleted': { audit: true },
  'key.rotated': { audit: true },
  'sso.session.started': { audit: true },
  'sso.session.ended': { audit: true },
  'oauth.code.replayed': { audit: true },
  'consent.granted': { audit: true },
  'consent.revoked': { audit: true },
  'email.verification_sent': { audit: true },
  'email.verified': { audit: true },
  'email.change_requested': { audit: true },
  'email.changed': { audit: true },
  'email.change_reported': { audit: true },
  'admin.user.email_changed': { audit: true },
  'admin.user.email_verification_set': { audit: true },
} as const satisfies Record<string, { audit: boolean }>;

export type SecurityAction = keyof typeof SECURITY_ACTIONS;

/** What an event is about. */
export interface EventSubject {
  type: 'user' | 'client' | 'key' | 'session';
  id: string;
}

export interface SecurityEvent {
  action: SecurityAction;
  outcome: 'success' | 'failure';
  /** Defaults to the current request context's actor (`anonymous` outside a request). */
  actor?: Actor;
  subject?: EventSubject;
  /** For the operator only, never shown to a client: `wrong_password`, `unknown_user`, … */
  reason?: string;
  /** Small, non-secret facts (a limit's name, the roles set, a client's name). */
  details?: Record<string, string | number | boolean | null | string[]>;
}
