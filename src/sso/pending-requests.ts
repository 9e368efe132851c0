import { Inject, Injectable } from '@nestjs/common';
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { Clock } from '../common/clock.js';
import { KEY_ENCRYPTION_SECRET } from '../config/key-encryption-secret.js';
import type { AuthorizationRequest } from './authorization-request.js';

/** How long the sign-in and consent pages may stay open before their form is refused. */
export const PENDING_REQUEST_TTL_SECONDS = 30 * 60;

/**
 * Which form a request waits for. A consent form is made only once the
 * sign-in is settled, for one SSO session: posting it cannot skip a sign-in
 * that `prompt=login` or `max_age` demanded, nor be replayed by another session.
 */
export type PendingStep = { step: 'sign-in' } | { step: 'consent'; ssoSessionId: string };

export interface PendingRequest {
  request: AuthorizationRequest;
  wait: PendingStep;
}

/**
 * An authorization request waiting for the sign-in or consent form, carried
 * by the form itself: the checked request and its expiry, MACed with a key
 * derived from KEY_ENCRYPTION_SECRET. A form field is trusted only if its
 * MAC verifies, so nothing a browser sends back can change the request.
 */
@Injectable()
export class PendingRequests {
  private readonly key: Buffer;

  constructor(
    private readonly clock: Clock,
    @Inject(KEY_ENCRYPTION_SECRET) keyEncryptionSecret: string,
  ) {
    this.key = Buffer.from(
      hkdfSync('sha256', keyEncryptionSecret, 'auth-server', 'pending-authorization-request', 32),
    );
  }

  seal(request: AuthorizationRequest, wait: PendingStep): string {
    const expiresAt = this.clock.nowSeconds() + PENDING_REQUEST_TTL_SECONDS;
    const payload = Buffer.from(JSON.stringify({ request, wait, expiresAt })).toString('base64url');
    return `${payload}.${this.mac(payload)}`;
  }

  /** The request if `sealed` is one we made and it has not expired; `null` otherwise. */
  open(sealed: unknown): PendingRequest | null {
    if (typeof sealed !== 'string' || sealed.length > 8_000) return null;
    const [payload, mac, extra] = sealed.split('.');
    if (!payload || !mac || extra !== undefined) return null;
    const expected = Buffer.from(this.mac(payload));
    const presented = Buffer.from(mac);
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return null;
    const { request, wait, expiresAt } = JSON.parse(
      Buffer.from(payload, 'base64url').toString('utf8'),
    ) as PendingRequest & { expiresAt: number };
    return expiresAt > this.clock.nowSeconds() ? { request, wait } : null;
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}
