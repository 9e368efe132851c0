import { Inject, Injectable } from '@nestjs/common';
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { Clock } from '../common/clock.js';
import { KEY_ENCRYPTION_SECRET } from '../config/key-encryption-secret.js';

/** A device stays known this long after its last successful sign-in (each one renews it). */
export const DEVICE_TOKEN_TTL_SECONDS = 180 * 86400;

const VERSION = 'd1';
const SHAPE =
  /^d1\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{22})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

/**
 * Device tokens (OWASP, "Slow Down Online Guessing Attacks with Device
 * Cookies"): proof that a client once signed in to an account, so that its
 * failed attempts count against its own allowance rather than the one every
 * unknown client shares. `d1.<user id>.<nonce>.<expires, s>.<HMAC-SHA256>`,
 * keyed by HKDF from KEY_ENCRYPTION_SECRET; the nonce names the device. It
 * holds no secret and grants nothing but that allowance.
 */
@Injectable()
export class DeviceTokensService {
  private readonly key: Buffer;

  constructor(
    @Inject(KEY_ENCRYPTION_SECRET) keyEncryptionSecret: string,
    private readonly clock: Clock,
  ) {
    this.key = Buffer.from(
      hkdfSync('sha256', keyEncryptionSecret, 'auth-server', 'device-token', 32),
    );
  }

  issue(userId: string): string {
    const nonce = randomBytes(16).toString('base64url');
    const expires = Math.floor(this.clock.now() / 1000) + DEVICE_TOKEN_TTL_SECONDS;
    const payload = `${VERSION}.${userId}.${nonce}.${expires}`;
    return `${payload}.${this.mac(payload)}`;
  }

  /**
   * The device id (nonce) of the first presented token that is valid for
   * `userId`, or null: forged, altered, expired, or another account's tokens
   * make the client an unknown one.
   */
  deviceOf(presented: readonly (string | undefined)[], userId: string): string | null {
    for (const token of presented) {
      const match = token ? SHAPE.exec(token) : null;
      if (!match || match[1] !== userId) continue;
      if (Number(match[3]) * 1000 <= this.clock.now()) continue;
      const payload = token!.slice(0, token!.lastIndexOf('.'));
      // Compared as text: decoding would accept other spellings of the same bytes.
      if (timingSafeEqual(Buffer.from(this.mac(payload)), Buffer.from(match[4]))) return match[2];
    }
    return null;
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}
