import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/**
 * Seals private key material at rest with AES-256-GCM under a key derived
 * (HKDF-SHA256) from KEY_ENCRYPTION_SECRET. Format: `v1.<iv>.<tag>.<ciphertext>`,
 * base64url; the kid is bound as associated data so sealed blobs cannot be swapped.
 * Another `purpose` derives another key, for other data sealed the same way
 * (queued mails), so that one kind of blob never opens as another.
 */
export class KeySealer {
  private readonly key: Buffer;

  constructor(secret: string, purpose = 'signing-key-encryption') {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'auth-server', purpose, 32));
  }

  seal(plaintext: Buffer, associatedData: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(associatedData));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), ciphertext]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  /** Throws when the blob was sealed under another secret or altered. */
  open(sealed: string, associatedData: string): Buffer {
    const [version, iv, tag, ciphertext] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || ciphertext === undefined) {
      throw new Error('Unrecognised sealed key format');
    }
    // Pin the tag length: GCM would otherwise accept a tag cut to 4 bytes, which is cheap to forge.
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'), {
      authTagLength: 16,
    });
    decipher.setAAD(Buffer.from(associatedData));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
  }
}
