import { describe, expect, it } from 'vitest';
import { strongSecret } from '../../test/support/unit.js';
import { AuditCheckpointSigner } from './audit-checkpoint-signer.js';

describe(AuditCheckpointSigner.name, () => {
  const sut = new AuditCheckpointSigner(strongSecret());
  const link = { seq: '41', hash: 'ab'.repeat(32) };

  it('accepts its own signature of a checkpoint', () => {
    expect(sut.isValid(link, sut.sign(link))).toBe(true);
  });

  it('refuses the signature for another seq or hash', () => {
    const signature = sut.sign(link);

    expect(sut.isValid({ ...link, seq: '42' }, signature)).toBe(false);
    expect(sut.isValid({ ...link, hash: 'cd'.repeat(32) }, signature)).toBe(false);
  });

  it('refuses a signature made under another KEY_ENCRYPTION_SECRET, a truncated one and garbage', () => {
    const other = new AuditCheckpointSigner(strongSecret());
    const signature = sut.sign(link);

    expect(sut.isValid(link, other.sign(link))).toBe(false);
    expect(sut.isValid(link, signature.slice(0, 20))).toBe(false);
    expect(sut.isValid(link, '')).toBe(false);
    expect(sut.isValid(link, 'A'.repeat(43))).toBe(false);
  });
});
