import { Inject, Injectable } from '@nestjs/common';
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { KEY_ENCRYPTION_SECRET } from '../config/key-encryption-secret.js';

const SHAPE = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/**
 * CSRF tokens for cookie mode (OWASP "signed double-submit cookie"):
 * `<nonce>.<HMAC-SHA256(session id, nonce)>`, keyed by HKDF from
 * KEY_ENCRYPTION_SECRET. Only this server can make one, and one is good for
 * its own session only: a token read from another session, or made up, fails.
 */
@Injectable()
export class CsrfTokensService {
  private readonly key: Buffer;

  constructor(@Inject(KEY_ENCRYPTION_SECRET) keyEncryptionSecret: string) {
    this.key = Buffer.from(
      hkdfSync('sha256', keyEncryptionSecret, 'auth-server', 'csrf-token', 32),
    );
  }

  issue(sessionId: string): string {
    const nonce = randomBytes(16).toString('base64url');
    return `${nonce}.${this.mac(sessionId, nonce)}`;
  }

  /** Whether `token` was issued for `sessionId`. */
  isValidFor(sessionId: string, token: string): boolean {
    const match = SHAPE.exec(token);
    if (!match) return false;
    // Compared as text: decoding would accept other spellings of the same bytes.
    return timingSafeEqual(Buffer.from(this.mac(sessionId, match[1])), Buffer.from(match[2]));
  }

  private mac(sessionId: string, nonce: string): string {
    return createHmac('sha256', this.key).update(`${sessionId}.${nonce}`).digest('base64url');
  }
}
