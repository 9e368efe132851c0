import { Algorithm, hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { PasswordHasher } from './password-hasher.service.js';
import { MetricsService } from '../metrics/metrics.service.js';

// The real Argon2, watched: which hash each password is checked against.
vi.mock('@node-rs/argon2', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@node-rs/argon2')>();
  return { ...actual, verify: vi.fn(actual.verify) };
});

const CURRENT_ARGON2ID = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/;

function newPassword(): string {
  return `pw-${randomBytes(9).toString('base64url')}`;
}

describe(PasswordHasher.name, () => {
  let sut: PasswordHasher;

  beforeEach(() => {
    sut = new PasswordHasher(new MetricsService());
    vi.mocked(argon2Verify).mockClear();
  });

  it('hashes with Argon2id at the OWASP baseline (19 MiB, 2 passes, 1 lane) and a fresh salt', async () => {
    const password = newPassword();

    const [first, second] = await Promise.all([sut.hash(password), sut.hash(password)]);

    expect(first).toMatch(CURRENT_ARGON2ID);
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

    it('still checks the password against an Argon2id hash at the current cost, as for a known user', async () => {
      const password = newPassword();
      const known = await sut.hash(newPassword());

      await sut.verify(null, password);
      await sut.verify(known, password);

      // One verification each, of the same password, at the same cost: the account's
      // existence changes only which hash, not how much work.
      const calls = vi.mocked(argon2Verify).mock.calls;
      expect(calls.map(([, attempted]) => attempted)).toEqual([password, password]);
      const [dummy, stored] = calls.map(([hashed]) => hashed);
      expect(dummy).toMatch(CURRENT_ARGON2ID);
      expect(dummy).not.toBe(known);
      expect(stored).toBe(known);
    });
  });
});
