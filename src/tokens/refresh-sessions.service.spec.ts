import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { hashOpaqueToken } from '../common/opaque-token.js';
import { InMemoryRefreshSessions } from '../../test/support/fakes.js';
import { caught, FakeClock, SECOND, testConfig } from '../../test/support/unit.js';
import type { RequestOrigin } from '../common/request-origin.js';
import { RefreshSessionsService, ReuseDetectedError } from './refresh-sessions.service.js';
import { TokenError } from './token.error.js';

const origin = (overrides: Partial<RequestOrigin> = {}): RequestOrigin => ({
  userAgent: 'spec-agent/1.0',
  ip: '203.0.113.7',
  ...overrides,
});

describe(RefreshSessionsService.name, () => {
  const config = testConfig({ REFRESH_TOKEN_TTL: '30d', REFRESH_IDLE_TTL: '7d' });
  let clock: FakeClock;
  let rows: InMemoryRefreshSessions;
  let sut: RefreshSessionsService;
  let userId: string;

  beforeEach(() => {
    clock = new FakeClock();
    rows = new InMemoryRefreshSessions(clock);
    sut = new RefreshSessionsService(rows.asRepository(), clock, config);
    userId = randomUUID();
  });

  describe('start', () => {
    it('begins a session with an opaque 256-bit token, storing only its hash', async () => {
      const { token, session } = await sut.start(userId, origin());

      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(session.tokenHash).toEqual(hashOpaqueToken(token));
      expect(JSON.stringify(rows.rows)).not.toContain(token);
    });

    it('records where it came from, and ends it REFRESH_TOKEN_TTL after the sign-in', async () => {
      const { session } = await sut.start(userId, origin({ userAgent: 'x'.repeat(600) }));

      expect(session).toMatchObject({ userId, ip: '203.0.113.7', userAgent: 'x'.repeat(512) });
      expect(session.sessionStartedAt.getTime()).toBe(clock.now());
      expect(session.lastUsedAt.getTime()).toBe(clock.now());
      expect(session.expiresAt.getTime() - clock.now()).toBe(30 * 86400 * SECOND);
    });

    it('gives every sign-in a session of its own', async () => {
      const first = await sut.start(userId, origin());
      const second = await sut.start(userId, origin());

      expect(second.session.sessionId).not.toBe(first.session.sessionId);
    });
  });

  describe('rotate', () => {
    it('spends the token and issues its successor in the same session', async () => {
      const started = await sut.start(userId, origin());

      const rotated = await sut.rotate(started.token, origin({ ip: '198.51.100.1' }));

      expect(rotated.token).not.toBe(started.token);
      expect(rotated.session).toMatchObject({
        sessionId: started.session.sessionId,
        ip: '198.51.100.1',
        expiresAt: started.session.expiresAt,
      });
      expect(started.session.spentAt).not.toBeNull();
    });

    it('reports a spent token presented again as reuse of its session', async () => {
      const started = await sut.start(userId, origin());
      await sut.rotate(started.token, origin());

      const error = await caught(() => sut.rotate(started.token, origin()));

      expect(error).toBeInstanceOf(ReuseDetectedError);
      expect(error).toMatchObject({ sessionId: started.session.sessionId, userId });
    });

    it.each([
      ['malformed', 'not-a-refresh-token', 'malformed'],
      ['unknown', 'A'.repeat(43), 'expired'],
    ])('refuses a %s token', async (_, token, code) => {
      const error = await caught(() => sut.rotate(token, origin()));

      expect(error).toBeInstanceOf(TokenError);
      expect(error).not.toBeInstanceOf(ReuseDetectedError);
      expect((error as TokenError).code).toBe(code);
    });

    it('refuses a token unused for REFRESH_IDLE_TTL, without calling it reuse', async () => {
      const started = await sut.start(userId, origin());
      clock.advance(7 * 86400 * SECOND);

      const error = await caught(() => sut.rotate(started.token, origin()));

      expect((error as TokenError).code).toBe('expired');
    });

    it('refuses a token of a revoked session, without calling it reuse', async () => {
      const started = await sut.start(userId, origin());
      await sut.revokeSession(started.session.sessionId, 'logout');

      const error = await caught(() => sut.rotate(started.token, origin()));

      expect(error).not.toBeInstanceOf(ReuseDetectedError);
      expect((error as TokenError).code).toBe('expired');
    });
  });

  describe('isCurrent', () => {
    it("is true for the session's newest token, false once it is spent", async () => {
      const started = await sut.start(userId, origin());
      expect(sut.isCurrent(started.session)).toBe(true);

      const rotated = await sut.rotate(started.token, origin());

      expect(sut.isCurrent(started.session)).toBe(false);
      expect(sut.isCurrent(rotated.session)).toBe(true);
    });

    it('is false once the session idled out or reached its end', async () => {
      const { session } = await sut.start(userId, origin());

      clock.advance(7 * 86400 * SECOND - 1);
      expect(sut.isCurrent(session)).toBe(true);
      clock.advance(1);
      expect(sut.isCurrent(session)).toBe(false);
    });
  });

  describe('listLive', () => {
    it("lists the current token of each of the user's live sessions, most recently used first", async () => {
      const older = await sut.start(userId, origin());
      clock.advance(SECOND);
      const newer = await sut.start(userId, origin());
      await sut.start(randomUUID(), origin());
      const ended = await sut.start(userId, origin());
      await sut.revokeSession(ended.session.sessionId, 'logout');

      const live = await sut.listLive(userId);

      expect(live.map((session) => session.sessionId)).toEqual([
        newer.session.sessionId,
        older.session.sessionId,
      ]);
    });
  });

  describe('findByToken', () => {
    it('finds the row of a token, and nothing for a malformed one', async () => {
      const { token, session } = await sut.start(userId, origin());

      expect(await sut.findByToken(token)).toBe(session);
      expect(await sut.findByToken('garbage')).toBeNull();
    });
  });
});
