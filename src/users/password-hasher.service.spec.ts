import { Algorithm, hash as argon2Hash } from '@node-rs/argon2';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { beforeEach, describe, expect, it } from 'vitest';
import { PasswordHasher } from './password-hasher.service.js';

function newPassword(): string {
  return `pw-${randomBytes(9).toString('base64url')}`;
}

describe(PasswordHasher.name, () => {
  let sut: PasswordHasher;

  beforeEach(() => {
    sut = new PasswordHasher();
  });

  it('hashes with Argon2id at the OWASP baseline (19 MiB, 2 passes, 1 lane) and a fresh salt', async () => {
    const password = newPassword();

    const [first, second] = await Promise.all([sut.hash(password), sut.hash(password)]);

    expect(first).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(second).not.toBe(first);
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const password = newPassword();
    const stored = await sut.hash(password);

    await expect(sut.verify(stored, password)).resolves.toEqual({
      valid: true,
      needsRehash: false,
    });
    await expect(sut.verify(stored, newPassword())).resolves.toEqual({
      valid: false,
      needsRehash: false,
    });
  });

  describe('a bcrypt hash from an older system', () => {
    it('verifies and asks to be upgraded', async () => {
      const password = newPassword();
      // The library writes `$2y$`; `$2b$` (what most systems export) is the same algorithm.
      const stored = (await bcryptHash(password, 4)).replace(/^\$2y\$/, '$2b$');
      expect(stored).toMatch(/^\$2b\$04\$/);

      await expect(sut.verify(stored, password)).resolves.toEqual({
        valid: true,
        needsRehash: true,
      });
    });

    it('refuses a wrong password without asking for an upgrade', async () => {
      const stored = await bcryptHash(newPassword(), 4);

      await expect(sut.verify(stored, newPassword())).resolves.toEqual({
        valid: false,
        needsRehash: false,
      });
    });
  });

  it.each([
    [
      'weaker Argon2id parameters',
      { algorithm: Algorithm.Argon2id, memoryCost: 4096, timeCost: 3, parallelism: 1 },
    ],
    ['Argon2i', { algorithm: Algorithm.Argon2i, memoryCost: 19_456, timeCost: 2, parallelism: 1 }],
  ])('asks to rehash a hash made with %s', async (_, options) => {
    const password = newPassword();
    const stored = await argon2Hash(password, options);

    await expect(sut.verify(stored, password)).resolves.toEqual({ valid: true, needsRehash: true });
  });

  it('refuses a stored value that is not a hash at all', async () => {
    await expect(sut.verify('not-a-hash', newPassword())).resolves.toEqual({
      valid: false,
      needsRehash: false,
    });
  });

  describe('an unknown user (no stored hash)', () => {
    it.each([null, undefined, ''])('is refused for %j', async (stored) => {
      await expect(sut.verify(stored, newPassword())).resolves.toEqual({
        valid: false,
        needsRehash: false,
      });
    });

    it('still spends an Argon2 verification, so timing does not reveal the account', async () => {
      // The first call also waits for the dummy hash to be made; measure a later one.
      await sut.verify(null, newPassword());

      const started = performance.now();
      await sut.verify(null, newPassword());
      const elapsedMs = performance.now() - started;

      expect(elapsedMs).toBeGreaterThan(2);
    });
  });
});
