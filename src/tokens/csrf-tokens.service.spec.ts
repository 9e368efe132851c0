import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CsrfTokensService } from './csrf-tokens.service.js';

describe(CsrfTokensService.name, () => {
  const sut = new CsrfTokensService('a-key-encryption-secret-of-enough-length');
  const session = randomUUID();

  it('accepts a token for the session it was issued for', () => {
    expect(sut.isValidFor(session, sut.issue(session))).toBe(true);
  });

  it('issues a different token each time, each valid', () => {
    const [first, second] = [sut.issue(session), sut.issue(session)];
    expect(first).not.toBe(second);
    expect(sut.isValidFor(session, second)).toBe(true);
  });

  it("refuses another session's token", () => {
    expect(sut.isValidFor(session, sut.issue(randomUUID()))).toBe(false);
  });

  it('refuses a token made with another key', () => {
    const other = new CsrfTokensService('another-key-encryption-secret-entirely');
    expect(sut.isValidFor(session, other.issue(session))).toBe(false);
  });

  it.each(['', 'x', 'a.b', `${'A'.repeat(22)}.${'B'.repeat(43)}`])('refuses %j', (token) => {
    expect(sut.isValidFor(session, token)).toBe(false);
  });

  it('refuses a token with an altered character', () => {
    const token = sut.issue(session);
    const altered = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    expect(sut.isValidFor(session, altered)).toBe(false);
  });
});
