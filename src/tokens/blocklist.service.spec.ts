import { randomBytes, randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { Logger } from '@nestjs/common';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InMemoryRefreshSessions, InMemoryRevocationRows } from '../../test/support/fakes.js';
import { FakeClock, MINUTE, testConfig } from '../../test/support/unit.js';
import { KeyValueStore } from '../redis/key-value-store.js';
import { BlocklistService, RevocationSubject } from './blocklist.service.js';
import { MetricsService } from '../metrics/metrics.service.js';

const HOUR = 60 * MINUTE;

describe(BlocklistService.name, () => {
  const config = testConfig({ ACCESS_TOKEN_TTL: '15m', REDIS_KEY_PREFIX: 'spec:' });
  let clock: FakeClock;
  let sessions: InMemoryRefreshSessions;
  let revocations: InMemoryRevocationRows;

  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(() => {
    clock = new FakeClock();
    sessions = new InMemoryRefreshSessions(clock);
    revocations = new InMemoryRevocationRows();
  });

  const blocklist = (kv: KeyValueStore) =>
    new BlocklistService(
      kv,
      config,
      clock,
      sessions.asRepository(),
      revocations.cutoffsRepository(),
      revocations.tokensRepository(),
      new MetricsService(),
    );

  /** A token id made at `ms` (its UUIDv7 time), of `subject`, in `sessionId`. */
  const token = (overrides: Partial<RevocationSubject> & { at?: number } = {}) => ({
    tokenId: uuidv7({ msecs: overrides.at ?? clock.now() }),
    sessionId: overrides.sessionId ?? randomUUID(),
    subject: overrides.subject ?? randomUUID(),
  });

  /** A session whose rows were revoked `ago` ms before now. */
  async function revokedSession(ago = 0): Promise<string> {
    const sessionId = randomUUID();
    await sessions.insert({
      sessionId,
      userId: randomUUID(),
      tokenHash: randomBytes(32),
      sessionStartedAt: new Date(clock.now() - ago),
      expiresAt: new Date(clock.now() + HOUR),
    });
    clock.advance(-ago);
    await sessions.revokeSession(sessionId, 'logout');
    clock.advance(ago);
    return sessionId;
  }

  describe('after the store lost its data (Redis flushed, embedded restart)', () => {
    let sut: BlocklistService;
    beforeEach(() => {
      sut = blocklist(KeyValueStore.inProcess(1_000));
    });

    it('rebuilds every revocation from the database before its first answer', async () => {
      const sessionId = await revokedSession();
      const userId = randomUUID();
      revocations.cutoffs.set(userId, new Date(clock.now()));
      const revoked = token();
      revocations.tokens.set(revoked.tokenId, new Date(clock.now() + 10 * MINUTE));

      expect(await sut.isRevoked(token({ sessionId }))).toBe(true);
      expect(await sut.isRevoked(revoked)).toBe(true);
      expect(await sut.isRevoked(token({ subject: userId, at: clock.now() - 1 }))).toBe(true);
      expect(await sut.isRevoked(token({ subject: userId, at: clock.now() + 1 }))).toBe(false);
      expect(await sut.isRevoked(token())).toBe(false);
    });

    it('rebuilds once, however many checks find it empty at the same time', async () => {
      await Promise.all(Array.from({ length: 10 }, () => sut.isRevoked(token())));

      expect(revocations.rebuildReads).toBe(1);
    });

    it('leaves out revocations whose tokens have all expired', async () => {
      const kv = KeyValueStore.inProcess(1_000);
      sut = blocklist(kv);
      await revokedSession(2 * HOUR);
      revocations.cutoffs.set(randomUUID(), new Date(clock.now() - 2 * HOUR));
      revocations.tokens.set(token().tokenId, new Date(clock.now() - 2 * HOUR));

      await sut.isRevoked(token());

      expect(await kv.store.keys('spec:bl:*')).toEqual(['spec:bl:ready']);
    });
  });

  describe('with a full in-process store', () => {
    it('keeps every entry it holds and answers the ones it refused from the database', async () => {
      const kv = KeyValueStore.inProcess(3);
      const sut = blocklist(kv);
      await sut.onModuleInit();
      const tokens = [token(), token(), token()];
      for (const { tokenId } of tokens) {
        const expiresAt = new Date(clock.now() + 10 * MINUTE);
        revocations.tokens.set(tokenId, expiresAt);
        await sut.revokeToken(tokenId, expiresAt.getTime() / 1000);
      }

      expect(await kv.store.keys('spec:bl:*')).toHaveLength(3);
      for (const revoked of tokens) expect(await sut.isRevoked(revoked)).toBe(true);
      expect(await sut.isRevoked(token())).toBe(false);
    });
  });
});
