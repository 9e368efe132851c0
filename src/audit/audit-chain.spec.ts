import { describe, expect, it } from 'vitest';
import { canonicalContent, chainHash, ChainedContent, GENESIS_HASH } from './audit-chain.js';

function content(overrides: Partial<ChainedContent> = {}): ChainedContent {
  return {
    id: '7',
    occurredAt: new Date('2026-11-30T01:02:03.456Z'),
    actorType: 'user',
    actorId: 'a1',
    subjectType: 'user',
    subjectId: 's1',
    action: 'auth.sign_in.failed',
    outcome: 'failure',
    reason: 'wrong_password',
    ip: '192.0.2.1',
    userAgent: 'Agent/1',
    requestId: 'r1',
    details: { limit: 'login', roles: ['admin', 'user'] },
    ...overrides,
  };
}

describe('audit chain hashing', () => {
  it('is SHA-256 hex over the previous hash and the canonical content', () => {
    const hash = chainHash(content(), GENESIS_HASH);

    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(chainHash(content(), GENESIS_HASH)).toBe(hash);
    expect(canonicalContent(content())).toBe(
      '["audit-v1","7","2026-11-30T01:02:03.456Z","user","a1","user","s1","auth.sign_in.failed","failure","wrong_password","192.0.2.1","Agent/1","r1",{"limit":"login","roles":["admin","user"]}]',
    );
  });

  it('does not depend on the order of the keys of details', () => {
    const reordered = content({ details: { roles: ['admin', 'user'], limit: 'login' } });

    expect(chainHash(reordered, GENESIS_HASH)).toBe(chainHash(content(), GENESIS_HASH));
  });

  it.each<[string, Partial<ChainedContent>]>([
    ['id', { id: '8' }],
    ['time', { occurredAt: new Date('2026-11-30T01:02:03.457Z') }],
    ['actor', { actorId: 'a2' }],
    ['actor type', { actorType: 'client' }],
    ['subject', { subjectId: null }],
    ['action', { action: 'auth.sign_in.succeeded' }],
    ['outcome', { outcome: 'success' }],
    ['reason', { reason: null }],
    ['ip', { ip: '192.0.2.2' }],
    ['user agent', { userAgent: 'Agent/2' }],
    ['request id', { requestId: 'r2' }],
    ['details', { details: { limit: 'login', roles: ['user', 'admin'] } }],
  ])('changes with the %s', (_, change) => {
    expect(chainHash(content(change), GENESIS_HASH)).not.toBe(chainHash(content(), GENESIS_HASH));
  });

  it('changes with the previous hash, so each row is bound to the one before it', () => {
    expect(chainHash(content(), 'f'.repeat(64))).not.toBe(chainHash(content(), GENESIS_HASH));
  });

  it('cannot be shifted from one field into the next (null, empty and a string "null" differ)', () => {
    const a = chainHash(content({ reason: null }), GENESIS_HASH);
    const b = chainHash(content({ reason: 'null' }), GENESIS_HASH);
    const c = chainHash(content({ ip: null, userAgent: '192.0.2.1' }), GENESIS_HASH);

    expect(new Set([a, b, c, chainHash(content(), GENESIS_HASH)]).size).toBe(4);
  });
});
