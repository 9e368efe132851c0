import { Inject, Injectable } from '@nestjs/common';
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { KEY_ENCRYPTION_SECRET } from '../config/key-encryption-secret.js';
import type { ChainLink } from './audit-chain.js';

/**
 * Signs and checks the checkpoint pruning leaves behind (HMAC-SHA256 under a
 * key derived by HKDF from KEY_ENCRYPTION_SECRET, as device tokens and key
 * sealing derive theirs), so that nobody without the secret can move the
 * start of the chain.
 */
@Injectable()
export class AuditCheckpointSigner {
  private readonly key: Buffer;

  constructor(@Inject(KEY_ENCRYPTION_SECRET) keyEncryptionSecret: string) {
    this.key = Buffer.from(
      hkdfSync('sha256', keyEncryptionSecret, 'auth-server', 'audit-checkpoint', 32),
    );
  }

  sign(link: ChainLink): string {
    return createHmac('sha256', this.key)
      .update(`audit-checkpoint.v1.${link.seq}.${link.hash}`)
      .digest('base64url');
  }

  /** Compared as text: decoding would accept other spellings of the same bytes. */
  isValid(link: ChainLink, signature: string): boolean {
    const expected = Buffer.from(this.sign(link));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
