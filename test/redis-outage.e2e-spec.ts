import { describe, expect, it } from 'vitest';
import { bearer, expectProblem, login, signUp, SignedInUser, Tokens } from './support/factories.js';
import { KEY_VALUE_STORE } from '../src/redis/redis.module.js';
import type { KeyValueStore } from '../src/redis/key-value-store.js';
import {
  hasRedisServer,
  meStatus,
  pollUntil,
  refreshStatus,
  useRedisServer,
} from './support/lifecycle.js';
import { useTestApp } from './support/test-app.js';

/**
 * Issue 3, point 2: if Redis cannot answer, protected requests fail closed
 * (503, never 200), readiness turns false, and everything recovers without a
 * restart. The test runs its own redis-server on a free port and stops it;
 * the database is whatever the harness gives (embedded or real).
 */

describe.runIf(hasRedisServer())('losing Redis and getting it back', () => {
  const redis = useRedisServer();
  const t = useTestApp({ env: () => ({ REDIS_URL: redis.url }) });
  let user: SignedInUser;
  let loggedOut: Tokens;

  const ready = () => t.http.get('/health/ready');

  it('works while Redis is up', async () => {
    user = await signUp(t.http);
    loggedOut = await login(t.http, user.username, user.password);
    await t.http.post('/auth/logout').set(bearer(loggedOut.access_token)).expect(204);

    expect(await meStatus(t.http, user.tokens.access_token)).toBe(200);
    expect(await meStatus(t.http, loggedOut.access_token)).toBe(401);
    const health = await ready();
    expect(health.status, health.text).toBe(200);
    expect(health.body.info?.redis).toMatchObject({ status: 'up', mode: 'redis' });
  });

  it('fails closed with 503 while Redis is down, and says so in readiness', async () => {
    await redis.stop();

    for (const token of [user.tokens.access_token, loggedOut.access_token]) {
      for (let i = 0; i < 3; i++) {
        const response = await t.http.get('/auth/me').set(bearer(token));
        expectProblem(response, 503);
        expect(response.headers['retry-after']).toMatch(/^\d+$/);
      }
    }
    expect((await t.http.get('/users/me').set(bearer(user.tokens.access_token))).status).toBe(503);
    expect(
      (await t.http.post('/auth/refresh').send({ refresh_token: user.tokens.refresh_token }))
        .status,
    ).toBe(503);

    const health = await ready();
    expect(health.status).toBe(503);
    expect(health.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(health.body).toMatchObject({
      status: 503,
      detail: expect.stringContaining('redis'),
      checks: { redis: { status: 'down' }, database: { status: 'up' } },
    });

    await t.http.get('/health/live').expect(200);
  });

  it('recovers on the same port within 10 s without a restart, and still refuses what was revoked', async () => {
    await redis.start();

    await pollUntil(
      'GET /auth/me to answer 200 again',
      async () => (await meStatus(t.http, user.tokens.access_token)) === 200,
      {
        timeoutMs: 10_000,
        intervalMs: 200,
      },
    );
    await pollUntil(
      'GET /health/ready to answer 200 again',
      async () => (await ready()).status === 200,
      {
        timeoutMs: 10_000,
        intervalMs: 200,
      },
    );

    expect((await ready()).body.info?.redis).toMatchObject({ status: 'up', mode: 'redis' });
    // The new Redis is empty: the blocklist is rebuilt from the database, so logout still holds.
    expect(await meStatus(t.http, loggedOut.access_token)).toBe(401);
    expect(
      (await t.http.post('/auth/refresh').send({ refresh_token: loggedOut.refresh_token })).status,
    ).toBe(401);
    const rotated = await t.http
      .post('/auth/refresh')
      .send({ refresh_token: user.tokens.refresh_token });
    expect(rotated.status, rotated.text).toBe(200);
    await login(t.http, user.username, user.password);
  }, 30_000);
});

/**
 * Issue 9, point 5: Redis restarts EMPTY (a new server, or one without
 * persistence) while the app runs. Every kind of revocation (a single token
 * through RFC 7009, a session at logout, a user's cutoff at logout-all) is
 * rebuilt into the blocklist from PostgreSQL before the first check is
 * answered: the very first requests after the restart already refuse them.
 */
describe.runIf(hasRedisServer())('Redis restarting empty', () => {
  const redis = useRedisServer();
  const t = useTestApp({ env: () => ({ REDIS_URL: redis.url }) });

  const blocklistKeys = () =>
    t.app.get<KeyValueStore>(KEY_VALUE_STORE).client!.keys(`${t.env.REDIS_KEY_PREFIX}bl:*`);

  const ready = () => t.http.get('/health/ready');

  it('refuses every revoked token on the first requests after the restart, and serves the rest', async () => {
    const [revoked, loggedOut, loggedOutAll, bystander] = await Promise.all(
      Array.from({ length: 4 }, () => signUp(t.http)),
    );
    await t.http
      .post('/oauth/revoke')
      .type('form')
      .send({ token: revoked.tokens.access_token })
      .expect(200);
    await t.http.post('/auth/logout').set(bearer(loggedOut.tokens.access_token)).expect(204);
    await t.http.post('/auth/logout-all').set(bearer(loggedOutAll.tokens.access_token)).expect(204);
    expect(await blocklistKeys()).not.toHaveLength(0);

    await redis.stop();
    await redis.start();
    await pollUntil('the app to reconnect to Redis', async () => (await ready()).status === 200, {
      timeoutMs: 10_000,
      intervalMs: 100,
    });
    // Nothing has asked the blocklist yet: the new Redis holds none of it.
    expect(await blocklistKeys()).toEqual([]);

    const first = await Promise.all(
      [revoked, loggedOut, loggedOutAll, bystander].map((user) =>
        meStatus(t.http, user.tokens.access_token),
      ),
    );
    expect(first).toEqual([401, 401, 401, 200]);
    expect(await refreshStatus(t.http, loggedOut.tokens.refresh_token)).toBe(401);
    expect(await refreshStatus(t.http, loggedOutAll.tokens.refresh_token)).toBe(401);
    expect(await blocklistKeys()).toContain(`${t.env.REDIS_KEY_PREFIX}bl:ready`);
  }, 60_000);
});
