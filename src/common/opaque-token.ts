import { createHash, randomBytes } from 'node:crypto';

/**
 * The secrets the server hands out and keeps only as a hash: refresh
 * tokens, SSO session cookies, authorization codes, account-mail tokens and
 * client secrets. 256 bits from the CSPRNG, base64url (43 characters);
 * stored as their SHA-256, so a copy of the database opens nothing.
 */
const SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function newOpaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Whether `value` has the shape of one (anything else is refused before any lookup). */
export function isOpaqueToken(value: string): boolean {
  return SHAPE.test(value);
}

/** What is stored and looked up instead of the token. */
export function hashOpaqueToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
