import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { strongSecret } from '../../test/support/unit.js';
import { KeySealer } from './key-sealer.js';

function privateKeyBytes(): Buffer {
  return randomBytes(48);
}

function newKid(): string {
  return randomBytes(8).toString('base64url');
}

/** Flips one bit in the last part of a sealed blob (the ciphertext). */
function tamper(sealed: string): string {
  const parts = sealed.split('.');
  const ciphertext = Buffer.from(parts[3], 'base64url');
  ciphertext[0] ^= 0x01;
  return [...parts.slice(0, 3), ciphertext.toString('base64url')].join('.');
}

/** Keeps only the first `bytes` of the authentication tag: a short tag is far easier to forge. */
function truncateTag(sealed: string, bytes: number): string {
  const [version, iv, tag, ciphertext] = sealed.split('.');
  return [
    version,
    iv,
    Buffer.from(tag, 'base64url').subarray(0, bytes).toString('base64url'),
    ciphertext,
  ].join('.');
}

describe(KeySealer.name, () => {
  const secret = strongSecret();
  const sut = new KeySealer(secret);

  it('opens what it sealed', () => {
    const plaintext = privateKeyBytes();
    const kid = newKid();

    const sealed = sut.seal(plaintext, kid);

    expect(sealed).toMatch(/^v1\./);
    expect(sealed).not.toContain(plaintext.toString('base64url'));
    expect(sut.open(sealed, kid).equals(plaintext)).toBe(true);
  });

  it('gives different output each time the same key is sealed', () => {
    const plaintext = privateKeyBytes();
    const kid = newKid();

    expect(sut.seal(plaintext, kid)).not.toBe(sut.seal(plaintext, kid));
  });

  it('cannot open a blob sealed under another secret', () => {
    const kid = newKid();
    const sealed = new KeySealer(strongSecret()).seal(privateKeyBytes(), kid);

    expect(() => sut.open(sealed, kid)).toThrow();
  });

  it('opens a blob sealed by another instance with the same secret', () => {
    const plaintext = privateKeyBytes();
    const kid = newKid();

    expect(new KeySealer(secret).open(sut.seal(plaintext, kid), kid).equals(plaintext)).toBe(true);
  });

  it('refuses a tampered ciphertext', () => {
    const kid = newKid();
    const sealed = sut.seal(privateKeyBytes(), kid);

    expect(() => sut.open(tamper(sealed), kid)).toThrow();
  });

  it.each([4, 12])('refuses an authentication tag cut to %i bytes', (bytes) => {
    const kid = newKid();
    const sealed = sut.seal(privateKeyBytes(), kid);

    expect(() => sut.open(truncateTag(sealed, bytes), kid)).toThrow();
  });

  it("refuses a blob presented under another key's kid", () => {
    const sealed = sut.seal(privateKeyBytes(), newKid());

    expect(() => sut.open(sealed, newKid())).toThrow();
  });

  it.each(['', 'v1.abc', 'v2.a.b.c', 'plain text'])(
    'refuses the unrecognised format %j',
    (sealed) => {
      expect(() => sut.open(sealed, newKid())).toThrow('Unrecognised sealed key format');
    },
  );
});
