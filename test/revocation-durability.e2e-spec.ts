import { describe, expect, it } from 'vitest';
import { KEY_VALUE_STORE } from '../src/redis/redis.module.js';
import type { KeyValueStore } from '../src/redis/key-value-store.js';
import { TokenHousekeepingService } from '../src/tokens/token-housekeeping.service.js';
import { realServices, type RunningApp } from './support/app.js';
import { bearer, decodeJwt, login, signUp } from './support/factories.js';
import { flushAppRedis, meStatus, refreshStatus } from './support/lifecycle.js';
import { type AppHandle, useTestApp } from './support/test-app.js';

/**
 * Issue 7, point 9: a revocation is never forgotten. Single access tokens
 * revoked through RFC 7009 or at logout are kept in PostgreSQL first and
 * rebuilt into the blocklist after it loses its data; the in-process
 * blocklist never evicts an entry to make room.
 */

const revoke = (t: RunningApp, token: string) =>
  t.http.post('/oauth/revoke').type('form').send({ token }).expect(200);

const jtiOf = (token: string) => decodeJwt(token).payload.jti as string;

async function revokedRow(t: AppHandle, jti: string): Promise<{ expires_at: Date } | undefined> {
  const rows = await t.sql<{ expires_at: Date }>(
    'SELECT expires_at FROM revoked_access_tokens WHERE jti = $1',
    [jti],
  );
  return rows[0];
}

describe('single access-token revocations are durable', () => {
  const onRedis = !!realServices.redisUrl;

  describe('when the blocklist loses its data', () => {
    const t = useTestApp();

    it(`an access token revoked through /oauth/revoke stays refused after ${
      onRedis ? "the app's Redis keys are flushed" : 'a restart on the same data'
    }`, async () => {
      const user = await signUp(t.http);
      const other = await login(t.http, user.username, user.password);
      await revoke(t, user.tokens.access_token);
      expect(await meStatus(t.http, user.tokens.access_token)).toBe(401);

      if (onRedis) expect(await flushAppRedis(t)).toBeGreaterThan(0);
      else await t.restart();

      // Rebuilt from the database before the first answer.
      expect(await meStatus(t.http, user.tokens.access_token)).toBe(401);
      expect((await t.http.get('/users/me').set(bearer(user.tokens.access_token))).status).toBe(
        401,
      );
      // Only that token: its session and the user's other session go on.
      expect(await meStatus(t.http, other.access_token)).toBe(200);
      expect(await refreshStatus(t.http, user.tokens.refresh_token)).toBe(200);
    }, 90_000);
  });

  describe('in PostgreSQL', () => {
    const t = useTestApp();

    it("records the token's id and expiry on /oauth/revoke and on logout", async () => {
      const revoked = await signUp(t.http);
      const loggedOut = await signUp(t.http);

      await revoke(t, revoked.tokens.access_token);
      await t.http.post('/auth/logout').set(bearer(loggedOut.tokens.access_token)).expect(204);

      for (const token of [revoked.tokens.access_token, loggedOut.tokens.access_token]) {
        const row = await revokedRow(t, jtiOf(token));
        expect(row?.expires_at.getTime()).toBe((decodeJwt(token).payload.exp as number) * 1000);
      }
    });

    it('housekeeping deletes a row once its token has expired, and keeps the others', async () => {
      const expired = await signUp(t.http);
      const live = await signUp(t.http);
      await revoke(t, expired.tokens.access_token);
      await revoke(t, live.tokens.access_token);
      await t.sql(
        `UPDATE revoked_access_tokens SET expires_at = now() - interval '2 minutes' WHERE jti = $1`,
        [jtiOf(expired.tokens.access_token)],
      );

      await t.app.get(TokenHousekeepingService).purge();

      expect(await revokedRow(t, jtiOf(expired.tokens.access_token))).toBeUndefined();
      expect(await revokedRow(t, jtiOf(live.tokens.access_token))).toBeDefined();
      expect(await meStatus(t.http, live.tokens.access_token)).toBe(401);
    });
  });
});

describe.skipIf(realServices.redisUrl)(
  'the in-process blocklist never forgets a revocation',
  () => {
    /** Writes `count` unrelated entries straight into the app's store, until it is full. */
    async function fill(t: RunningApp, count: number): Promise<void> {
      const store = t.app.get<KeyValueStore>(KEY_VALUE_STORE).store;
      const batch = 100_000;
      try {
        for (let start = 0; start < count; start += batch) {
          const entries = Array.from(
            { length: Math.min(batch, count - start) },
            (_, i): [string, unknown] => [`filler:${start + i}`, 1],
          );
          await store.mset(entries, 3_600_000);
        }
      } catch (error) {
        if ((error as Error).name !== 'StoreFullError') throw error;
      }
    }

    describe('with the default BLOCKLIST_MAX_ENTRIES', () => {
      const t = useTestApp();

      it('past the old one-million-entry cap, a revoked token stays refused, and later revocations hold too', async () => {
        const first = await signUp(t.http);
        const second = await signUp(t.http);
        const bystander = await signUp(t.http);
        await revoke(t, first.tokens.access_token);

        await fill(t, 1_000_001);

        expect(await meStatus(t.http, first.tokens.access_token)).toBe(401);
        await revoke(t, second.tokens.access_token);
        expect(await meStatus(t.http, second.tokens.access_token)).toBe(401);
        expect(await meStatus(t.http, bystander.tokens.access_token)).toBe(200);
      }, 120_000);
    });

    describe('with a small BLOCKLIST_MAX_ENTRIES', () => {
      const t = useTestApp({ env: { BLOCKLIST_MAX_ENTRIES: '4' } });

      it('refuses every revoked token and session past the cap, reading the database', async () => {
        const users = await Promise.all(Array.from({ length: 6 }, () => signUp(t.http)));
        const bystander = await signUp(t.http);

        // Each kind of entry, well past four: token ids, sessions, user cutoffs.
        for (const user of users.slice(0, 2)) await revoke(t, user.tokens.access_token);
        for (const user of users.slice(2, 4)) {
          await t.http.post('/auth/logout').set(bearer(user.tokens.access_token)).expect(204);
        }
        for (const user of users.slice(4)) {
          await t.http.post('/auth/logout-all').set(bearer(user.tokens.access_token)).expect(204);
        }

        for (const user of users)
          expect(await meStatus(t.http, user.tokens.access_token)).toBe(401);
        expect(await refreshStatus(t.http, users[2].tokens.refresh_token)).toBe(401);
        expect(await meStatus(t.http, bystander.tokens.access_token)).toBe(200);
        const again = await login(t.http, users[5].username, users[5].password);
        expect(await meStatus(t.http, again.access_token)).toBe(200);
      });
    });
  },
);
