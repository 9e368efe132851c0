import { describe, expect, it } from 'vitest';
import { realServices } from './support/app.js';
import {
  bearer,
  decodeJwt,
  expectProblem,
  invalidFields,
  login,
  signUp,
  Tokens,
} from './support/factories.js';
import {
  ageSession,
  flushAppRedis,
  meStatus,
  refreshStatus,
  refreshTokens,
  sessionIdOf,
} from './support/lifecycle.js';
import { useTestApp } from './support/test-app.js';

/** Issue 3, point 1: refresh with rotation, reuse detection, one winner, lifetimes, durability. */

const REFRESH_TOKEN = /^[A-Za-z0-9_-]{43,}$/;

describe('POST /auth/refresh', () => {
  const t = useTestApp();

  it('rotates: a new access and refresh token in the same session, and the old refresh token is spent', async () => {
    const user = await signUp(t.http);
    const first = user.tokens;

    const response = await t.http
      .post('/auth/refresh')
      .send({ refresh_token: first.refresh_token })
      .expect(200);

    const second = response.body as Tokens;
    expect(response.headers['cache-control']).toContain('no-store');
    expect(second).toMatchObject({ token_type: 'Bearer', expires_in: expect.any(Number) });
    expect(second.refresh_token).toMatch(REFRESH_TOKEN);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    expect(sessionIdOf(second.access_token)).toBe(sessionIdOf(first.access_token));

    const spent = await t.http.post('/auth/refresh').send({ refresh_token: first.refresh_token });
    expectProblem(spent, 401);
  });

  it('issues a pair that works: the access token opens /auth/me and the refresh token rotates again', async () => {
    const user = await signUp(t.http);
    const second = await refreshTokens(t.http, user.tokens.refresh_token);

    const me = await t.http.get('/auth/me').set(bearer(second.access_token)).expect(200);
    expect(me.body).toMatchObject({ sub: user.id, sid: sessionIdOf(user.tokens.access_token) });

    const third = await refreshTokens(t.http, second.refresh_token);
    expect(await meStatus(t.http, third.access_token)).toBe(200);
  });

  it('treats a spent refresh token as reuse: the whole family dies, including the newest access and refresh token', async () => {
    const user = await signUp(t.http);
    const original = user.tokens;
    const rotated = await refreshTokens(t.http, original.refresh_token);
    expect(await meStatus(t.http, rotated.access_token)).toBe(200);

    const reuse = await t.http
      .post('/auth/refresh')
      .send({ refresh_token: original.refresh_token });

    expectProblem(reuse, 401);
    // At once: no waiting for the access token to expire.
    expect(await meStatus(t.http, rotated.access_token)).toBe(401);
    expect(await meStatus(t.http, original.access_token)).toBe(401);
    expect(await refreshStatus(t.http, rotated.refresh_token)).toBe(401);
  });

  it('leaves other sessions of the same user alone when one family is revoked for reuse', async () => {
    const user = await signUp(t.http);
    const other = await login(t.http, user.username, user.password);
    const rotated = await refreshTokens(t.http, user.tokens.refresh_token);

    expect(await refreshStatus(t.http, user.tokens.refresh_token)).toBe(401);

    expect(await meStatus(t.http, rotated.access_token)).toBe(401);
    expect(await meStatus(t.http, other.access_token)).toBe(200);
    expect(await refreshStatus(t.http, other.refresh_token)).toBe(200);
  });

  it('lets exactly one of 20 concurrent refreshes with one token win; the other 19 get 401', async () => {
    const user = await signUp(t.http);

    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.http.post('/auth/refresh').send({ refresh_token: user.tokens.refresh_token }),
      ),
    );

    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 401)).toHaveLength(19);
    const winner = responses.find((response) => response.status === 200)!.body as Tokens;
    expect(winner.refresh_token).toMatch(REFRESH_TOKEN);
  });

  it('refuses an access token presented as a refresh token', async () => {
    const user = await signUp(t.http);

    const response = await t.http
      .post('/auth/refresh')
      .send({ refresh_token: user.tokens.access_token });

    // An RS256 access token is longer than any refresh token may be (512), so validation
    // may answer 400 before the token check would answer 401: refused either way.
    expect([400, 401]).toContain(response.status);
    expectProblem(response, response.status);
    // The refusal neither spent nor revoked anything.
    expect(await meStatus(t.http, user.tokens.access_token)).toBe(200);
    expect(await refreshStatus(t.http, user.tokens.refresh_token)).toBe(200);
  });

  it('refuses a refresh token presented as a Bearer access token (401)', async () => {
    const user = await signUp(t.http);

    const response = await t.http.get('/auth/me').set(bearer(user.tokens.refresh_token));

    expectProblem(response, 401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer .*error="invalid_token"/);
    expect(await refreshStatus(t.http, user.tokens.refresh_token)).toBe(200);
  });

  it('refuses an unknown, well-formed refresh token (401)', async () => {
    const response = await t.http.post('/auth/refresh').send({ refresh_token: 'A'.repeat(43) });
    expectProblem(response, 401);
  });

  it.each([
    ['an empty body', {}],
    ['a number for refresh_token', { refresh_token: 42 }],
    ['an empty refresh_token', { refresh_token: '' }],
    ['an oversized refresh_token', { refresh_token: 'a'.repeat(10_000) }],
  ])('answers 400 naming refresh_token for %s', async (_, body) => {
    const response = await t.http.post('/auth/refresh').send(body);
    expectProblem(response, 400);
    expect(invalidFields(response)).toContain('refresh_token');
  });

  it('answers 400 for an unknown field next to a valid refresh token, and does not spend it', async () => {
    const user = await signUp(t.http);
    const response = await t.http
      .post('/auth/refresh')
      .send({ refresh_token: user.tokens.refresh_token, roles: ['admin'] });
    expectProblem(response, 400);
    expect(await refreshStatus(t.http, user.tokens.refresh_token)).toBe(200);
  });

  it("gives the new access token the user's roles as they are at the refresh", async () => {
    const user = await signUp(t.http);
    await t.sql(`UPDATE users SET roles = '{user,admin}' WHERE id = $1`, [user.id]);

    const next = await refreshTokens(t.http, user.tokens.refresh_token);

    expect(decodeJwt(next.access_token).payload.roles).toEqual(['user', 'admin']);
  });

  it.each([
    ['disabled', 'UPDATE users SET disabled = true WHERE id = $1'],
    ['deleted', 'DELETE FROM users WHERE id = $1'],
  ])('refuses the refresh of a user %s meanwhile (401), and the session ends', async (_, sql) => {
    const user = await signUp(t.http);
    const sessionId = sessionIdOf(user.tokens.access_token);
    await t.sql(sql, [user.id]);

    expectProblem(
      await t.http.post('/auth/refresh').send({ refresh_token: user.tokens.refresh_token }),
      401,
    );

    const live = await t.sql<{ count: number }>(
      `SELECT count(*)::int AS count FROM refresh_sessions
       WHERE family_id = $1 AND spent_at IS NULL AND revoked_at IS NULL`,
      [sessionId],
    );
    expect(live[0]?.count ?? 0).toBe(0);
  });
});

describe('session lifetimes: idle timeout and absolute lifetime', () => {
  // Time passes by moving the session's rows into the past (ageSession): PostgreSQL decides both.
  const IDLE_SECONDS = 600;
  const ABSOLUTE_SECONDS = 3600;
  const t = useTestApp({
    env: { REFRESH_IDLE_TTL: String(IDLE_SECONDS), REFRESH_TOKEN_TTL: String(ABSOLUTE_SECONDS) },
  });

  const listedSessions = async (username: string, password: string) => {
    const { access_token } = await login(t.http, username, password);
    const response = await t.http.get('/auth/sessions').set(bearer(access_token)).expect(200);
    return (response.body as { id: string }[]).map((session) => session.id);
  };

  it('ends a session left unused for longer than REFRESH_IDLE_TTL, not sooner', async () => {
    const user = await signUp(t.http);
    const sessionId = sessionIdOf(user.tokens.access_token);

    // Unused for a minute less than the idle timeout: it still rotates.
    await ageSession(t, sessionId, IDLE_SECONDS - 60);
    const fresh = await refreshTokens(t.http, user.tokens.refresh_token);
    // Unused for a second more than the idle timeout, and far from the absolute end.
    await ageSession(t, sessionId, IDLE_SECONDS + 1);

    expectProblem(
      await t.http.post('/auth/refresh').send({ refresh_token: fresh.refresh_token }),
      401,
    );
    expect(await listedSessions(user.username, user.password)).not.toContain(sessionId);
  });

  it('ends a session at REFRESH_TOKEN_TTL even when it was used within the idle window all along', async () => {
    const user = await signUp(t.http);
    const sessionId = sessionIdOf(user.tokens.access_token);
    const step = IDLE_SECONDS - 60;
    let current = user.tokens;
    let age = 0;

    // Used every 9 minutes (under the 10-minute idle timeout) until just before the hour is up.
    while (age + step < ABSOLUTE_SECONDS) {
      await ageSession(t, sessionId, step);
      age += step;
      current = await refreshTokens(t.http, current.refresh_token);
    }
    // Another 9 minutes: used within the idle window again, but past the absolute end.
    await ageSession(t, sessionId, step);

    expectProblem(
      await t.http.post('/auth/refresh').send({ refresh_token: current.refresh_token }),
      401,
    );
    expect(await listedSessions(user.username, user.password)).not.toContain(sessionId);
  });
});

describe('durability: revocation lives in PostgreSQL, not only in the blocklist', () => {
  describe('across a restart', () => {
    const t = useTestApp();

    it('still refuses a logged-out session after a restart that loses the in-process blocklist', async () => {
      const user = await signUp(t.http);
      const kept = await login(t.http, user.username, user.password);
      await t.http.post('/auth/logout').set(bearer(user.tokens.access_token)).expect(204);

      await t.restart();

      expect(await meStatus(t.http, user.tokens.access_token)).toBe(401);
      expect(await refreshStatus(t.http, user.tokens.refresh_token)).toBe(401);
      // The restart itself did not void everything: the other session lives on.
      expect(await meStatus(t.http, kept.access_token)).toBe(200);
      expect(await refreshStatus(t.http, kept.refresh_token)).toBe(200);
    }, 60_000);
  });

  describe.runIf(realServices.databaseUrl && realServices.redisUrl)('on Redis', () => {
    const t = useTestApp();

    it('refuses a logged-out access token and its refresh token after the app’s Redis keys are flushed', async () => {
      const user = await signUp(t.http);
      const kept = await login(t.http, user.username, user.password);
      await t.http.post('/auth/logout').set(bearer(user.tokens.access_token)).expect(204);
      expect(await meStatus(t.http, user.tokens.access_token)).toBe(401);

      expect(await flushAppRedis(t)).toBeGreaterThan(0);

      // The blocklist notices its marker is gone and rebuilds from the database.
      expect(await meStatus(t.http, user.tokens.access_token)).toBe(401);
      expect(await refreshStatus(t.http, user.tokens.refresh_token)).toBe(401);
      expect(await meStatus(t.http, kept.access_token)).toBe(200);
    });

    it('keeps a logout-all cutoff through a flush, while a login after it works', async () => {
      const user = await signUp(t.http);
      await t.http.post('/auth/logout-all').set(bearer(user.tokens.access_token)).expect(204);

      expect(await flushAppRedis(t)).toBeGreaterThan(0);

      expect(await meStatus(t.http, user.tokens.access_token)).toBe(401);
      expect(await refreshStatus(t.http, user.tokens.refresh_token)).toBe(401);
      const again = await login(t.http, user.username, user.password);
      expect(await meStatus(t.http, again.access_token)).toBe(200);
    });

    it('keeps reuse revocation through a flush', async () => {
      const user = await signUp(t.http);
      const rotated = await refreshTokens(t.http, user.tokens.refresh_token);
      expect(await refreshStatus(t.http, user.tokens.refresh_token)).toBe(401);

      expect(await flushAppRedis(t)).toBeGreaterThan(0);

      expect(await meStatus(t.http, rotated.access_token)).toBe(401);
      expect(await refreshStatus(t.http, rotated.refresh_token)).toBe(401);
    });
  });
});
