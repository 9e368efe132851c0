import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from './support/app.js';
import {
  adminTokens,
  bearer,
  decodeJwt,
  expectProblem,
  invalidFields,
  login,
  loginStatus,
  register,
  signUp,
  Tokens,
  updateUser,
} from './support/factories.js';
import {
  ageSession,
  meStatus,
  refreshStatus,
  refreshTokens,
  sessionIdOf,
} from './support/lifecycle.js';
import { useTestApp } from './support/test-app.js';

/** Issue 3, points 3 and 4: logout, sessions, and revocation that follows the account. */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface SessionView {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  userAgent: string | null;
  ip: string | null;
  current?: boolean;
  [key: string]: unknown;
}

/** Every key anywhere in a JSON value. */
function allKeys(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(allKeys);
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, inner]) => [key, ...allKeys(inner)]);
  }
  return [];
}

/** Every string anywhere in a JSON value. */
function allStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(allStrings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(allStrings);
  return [];
}

/** Neither a token the client holds nor any token/hash/secret field appears anywhere in `listing`. */
function expectNoSecrets(listing: unknown, held: Tokens[]): void {
  const secrets = held.flatMap((tokens) => [tokens.access_token, tokens.refresh_token]);
  expect(allStrings(listing).filter((value) => secrets.includes(value))).toEqual([]);
  expect(allKeys(listing).filter((key) => /hash|token|secret/i.test(key))).toEqual([]);
}

/** Both halves of a session must be dead: its access token and its refresh token. */
async function expectSessionDead(t: RunningApp, tokens: Tokens): Promise<void> {
  expect(await meStatus(t.http, tokens.access_token), 'access token').toBe(401);
  expect(await refreshStatus(t.http, tokens.refresh_token), 'refresh token').toBe(401);
}

/** Both halves work (note: the refresh token is spent by this check; its successor is returned). */
async function expectSessionAlive(t: RunningApp, tokens: Tokens): Promise<Tokens> {
  expect(await meStatus(t.http, tokens.access_token), 'access token').toBe(200);
  return refreshTokens(t.http, tokens.refresh_token);
}

describe('logout and sessions', () => {
  const t = useTestApp();

  describe('POST /auth/logout', () => {
    it('answers 204 and ends the current session (access and refresh token), not the others', async () => {
      const user = await signUp(t.http);
      const other = await login(t.http, user.username, user.password);

      const response = await t.http.post('/auth/logout').set(bearer(user.tokens.access_token));

      expect(response.status).toBe(204);
      expect(response.text).toBe('');
      await expectSessionDead(t, user.tokens);
      await expectSessionAlive(t, other);
    });

    it('also ends the session of a refresh token of the caller sent in the body', async () => {
      const user = await signUp(t.http);
      const second = await login(t.http, user.username, user.password);
      const third = await login(t.http, user.username, user.password);

      await t.http
        .post('/auth/logout')
        .set(bearer(user.tokens.access_token))
        .send({ refresh_token: second.refresh_token })
        .expect(204);

      await expectSessionDead(t, user.tokens);
      await expectSessionDead(t, second);
      await expectSessionAlive(t, third);
    });

    it('does not end another user’s session whose refresh token is sent in the body', async () => {
      const caller = await signUp(t.http);
      const victim = await signUp(t.http);

      await t.http
        .post('/auth/logout')
        .set(bearer(caller.tokens.access_token))
        .send({ refresh_token: victim.tokens.refresh_token })
        .expect(204);

      await expectSessionDead(t, caller.tokens);
      await expectSessionAlive(t, victim.tokens);
    });

    it('needs a valid access token (401 without one, 401 with a logged-out one)', async () => {
      expectProblem(await t.http.post('/auth/logout'), 401);
      const user = await signUp(t.http);
      await t.http.post('/auth/logout').set(bearer(user.tokens.access_token)).expect(204);
      expectProblem(await t.http.post('/auth/logout').set(bearer(user.tokens.access_token)), 401);
    });
  });

  describe('POST /auth/logout-all', () => {
    it('answers 204 and ends every session of the caller', async () => {
      const user = await signUp(t.http);
      const second = await login(t.http, user.username, user.password);
      const third = await login(t.http, user.username, user.password);
      const bystander = await signUp(t.http);

      const response = await t.http.post('/auth/logout-all').set(bearer(second.access_token));

      expect(response.status).toBe(204);
      for (const session of [user.tokens, second, third]) await expectSessionDead(t, session);
      await expectSessionAlive(t, bystander.tokens);
    });

    it('lets a login right after it (within the same second) work', async () => {
      const user = await signUp(t.http);
      for (let round = 0; round < 3; round++) {
        const before = await login(t.http, user.username, user.password);
        await t.http.post('/auth/logout-all').set(bearer(before.access_token)).expect(204);
        const after = await login(t.http, user.username, user.password);

        expect(await meStatus(t.http, before.access_token)).toBe(401);
        await expectSessionAlive(t, after);
      }
    });
  });

  describe('GET /auth/sessions', () => {
    it('lists the live sessions with their metadata, marks only the caller’s as current, and shows no secret', async () => {
      const user = await register(t.http);
      const loginAs = async (userAgent: string) =>
        (
          await t.http
            .post('/auth/login')
            .set('User-Agent', userAgent)
            .send({ username: user.username, password: user.password })
            .expect(200)
        ).body as Tokens;
      const laptop = await loginAs('lifecycle-test/1.0 (laptop)');
      const phone = await loginAs('lifecycle-test/1.0 (phone)');
      const ended = await loginAs('lifecycle-test/1.0 (ended)');
      await t.http.post('/auth/logout').set(bearer(ended.access_token)).expect(204);

      const response = await t.http
        .get('/auth/sessions')
        .set(bearer(laptop.access_token))
        .expect(200);

      const sessions = response.body as SessionView[];
      const stored = await t.sql<{ family_id: string; session_started_at: Date; created_at: Date }>(
        `SELECT family_id, session_started_at, created_at FROM refresh_sessions
         WHERE family_id = ANY($1) AND spent_at IS NULL`,
        [[laptop, phone].map((tokens) => sessionIdOf(tokens.access_token))],
      );
      expect(sessions).toHaveLength(2);
      const byId = new Map(sessions.map((session) => [session.id, session]));
      const mine = byId.get(sessionIdOf(laptop.access_token));
      const theirs = byId.get(sessionIdOf(phone.access_token));
      expect(mine).toMatchObject({ userAgent: 'lifecycle-test/1.0 (laptop)', current: true });
      expect(theirs).toMatchObject({ userAgent: 'lifecycle-test/1.0 (phone)', current: false });
      for (const session of sessions) {
        expect(session.id).toMatch(UUID);
        expect(session.ip).toEqual(expect.any(String));
        // The session's start and the issue of its current token, as stored.
        const row = stored.find((candidate) => candidate.family_id === session.id)!;
        expect(session.createdAt).toBe(row.session_started_at.toISOString());
        expect(session.lastUsedAt).toBe(row.created_at.toISOString());
      }
      expectNoSecrets(sessions, [laptop, phone, ended]);
    });

    it('records the socket address as the IP and ignores X-Forwarded-For (TRUST_PROXY unset)', async () => {
      const user = await register(t.http);
      const tokens = (
        await t.http
          .post('/auth/login')
          .set('X-Forwarded-For', '203.0.113.77')
          .send({ username: user.username, password: user.password })
          .expect(200)
      ).body as Tokens;

      const sessions = (
        await t.http.get('/auth/sessions').set(bearer(tokens.access_token)).expect(200)
      ).body as SessionView[];

      expect(sessions.map((session) => session.ip)).toEqual([
        expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$|^::1$/),
      ]);
    });

    it('moves lastUsedAt forward on refresh and keeps createdAt', async () => {
      const user = await signUp(t.http);
      const list = async (tokens: Tokens) =>
        (
          (await t.http.get('/auth/sessions').set(bearer(tokens.access_token)).expect(200))
            .body as SessionView[]
        )[0];
      // Last used (and started) a minute ago.
      await ageSession(t, sessionIdOf(user.tokens.access_token), 60);
      const before = await list(user.tokens);

      const rotated = await refreshTokens(t.http, user.tokens.refresh_token);
      const after = await list(rotated);

      expect(after.id).toBe(before.id);
      expect(after.createdAt).toBe(before.createdAt);
      expect(new Date(after.lastUsedAt).getTime()).toBeGreaterThan(
        new Date(before.lastUsedAt).getTime(),
      );
    });

    it('needs a token (401)', async () => {
      expectProblem(await t.http.get('/auth/sessions'), 401);
    });
  });

  describe('DELETE /auth/sessions/:id', () => {
    it('ends one of the caller’s other sessions: 204, gone from the list, its tokens refused', async () => {
      const user = await signUp(t.http);
      const other = await login(t.http, user.username, user.password);
      const id = sessionIdOf(other.access_token);

      const response = await t.http
        .delete(`/auth/sessions/${id}`)
        .set(bearer(user.tokens.access_token));

      expect(response.status).toBe(204);
      const sessions = await t.http
        .get('/auth/sessions')
        .set(bearer(user.tokens.access_token))
        .expect(200);
      expect((sessions.body as SessionView[]).map((session) => session.id)).toEqual([
        sessionIdOf(user.tokens.access_token),
      ]);
      await expectSessionDead(t, other);
      expect(await meStatus(t.http, user.tokens.access_token)).toBe(200);
      // Already ended: nothing left to delete.
      expectProblem(
        await t.http.delete(`/auth/sessions/${id}`).set(bearer(user.tokens.access_token)),
        404,
      );
    });

    it('answers 404 for another user’s session and leaves it alone', async () => {
      const caller = await signUp(t.http);
      const victim = await signUp(t.http);

      const response = await t.http
        .delete(`/auth/sessions/${sessionIdOf(victim.tokens.access_token)}`)
        .set(bearer(caller.tokens.access_token));

      expectProblem(response, 404);
      await expectSessionAlive(t, victim.tokens);
    });

    it('answers 404 for a session id that does not exist', async () => {
      const user = await signUp(t.http);
      const response = await t.http
        .delete('/auth/sessions/00000000-0000-4000-8000-000000000000')
        .set(bearer(user.tokens.access_token));
      expectProblem(response, 404);
    });

    it('answers 400 naming id for an id that is not a UUID', async () => {
      const user = await signUp(t.http);
      const response = await t.http
        .delete('/auth/sessions/not-a-uuid')
        .set(bearer(user.tokens.access_token));
      expectProblem(response, 400);
      expect(invalidFields(response)).toEqual(['id']);
    });
  });
});

describe('revocation follows the account', () => {
  const t = useTestApp();
  let admin: Tokens;
  beforeAll(async () => {
    admin = await adminTokens(t.http);
  });

  describe('POST /users/me/password', () => {
    it('answers 204, keeps the caller’s session and ends every other one', async () => {
      const user = await signUp(t.http);
      const second = await login(t.http, user.username, user.password);
      const third = await login(t.http, user.username, user.password);
      const newPassword = `${user.password}-changed`;

      const response = await t.http
        .post('/users/me/password')
        .set(bearer(user.tokens.access_token))
        .send({ currentPassword: user.password, newPassword });

      expect(response.status, response.text).toBe(204);
      await expectSessionAlive(t, user.tokens);
      await expectSessionDead(t, second);
      await expectSessionDead(t, third);
      expect(await loginStatus(t.http, user.username, user.password)).toBe(401);
      await login(t.http, user.username, newPassword);
    });

    it('changes nothing when the current password is wrong (400)', async () => {
      const user = await signUp(t.http);
      const other = await login(t.http, user.username, user.password);

      const response = await t.http
        .post('/users/me/password')
        .set(bearer(user.tokens.access_token))
        .send({ currentPassword: 'not-the-password', newPassword: `${user.password}-changed` });

      expectProblem(response, 400);
      await expectSessionAlive(t, other);
    });
  });

  describe('PATCH /admin/users/:id (roles)', () => {
    it('voids the user’s access tokens at once; a login right after carries the new roles', async () => {
      const user = await signUp(t.http);
      expect(await meStatus(t.http, user.tokens.access_token)).toBe(200);

      await updateUser(t.http, admin.access_token, user.id, { roles: ['user', 'admin'] });
      const promoted = await login(t.http, user.username, user.password);

      expect(await meStatus(t.http, user.tokens.access_token)).toBe(401);
      expect(decodeJwt(promoted.access_token).payload.roles).toEqual(
        expect.arrayContaining(['admin', 'user']),
      );
      await t.http.get('/admin/users').set(bearer(promoted.access_token)).expect(200);
    });

    it('lets the session refresh into a token with the new roles', async () => {
      const user = await signUp(t.http);
      await updateUser(t.http, admin.access_token, user.id, { roles: ['user', 'admin'] });

      const refreshed = await t.http
        .post('/auth/refresh')
        .send({ refresh_token: user.tokens.refresh_token });

      expect(refreshed.status).toBe(200);
      expect(decodeJwt(refreshed.body.access_token).payload.roles).toContain('admin');
      expect(await meStatus(t.http, refreshed.body.access_token)).toBe(200);
    });

    it('closes /admin to a demoted admin’s old token at once', async () => {
      const user = await signUp(t.http);
      await updateUser(t.http, admin.access_token, user.id, { roles: ['user', 'admin'] });
      const asAdmin = await login(t.http, user.username, user.password);
      await t.http.get('/admin/users').set(bearer(asAdmin.access_token)).expect(200);

      await updateUser(t.http, admin.access_token, user.id, { roles: ['user'] });
      const demoted = await login(t.http, user.username, user.password);

      expect([401, 403]).toContain(
        (await t.http.get('/admin/users').set(bearer(asAdmin.access_token))).status,
      );
      expect(await meStatus(t.http, asAdmin.access_token)).toBe(401);
      expect(decodeJwt(demoted.access_token).payload.roles).toEqual(['user']);
      expect(await meStatus(t.http, demoted.access_token)).toBe(200);
      expectProblem(await t.http.get('/admin/users').set(bearer(demoted.access_token)), 403);
    });

    it('leaves tokens alone when the roles do not change', async () => {
      const user = await signUp(t.http);
      await updateUser(t.http, admin.access_token, user.id, { roles: ['user'] });
      expect(await meStatus(t.http, user.tokens.access_token)).toBe(200);
    });
  });

  describe('PATCH /admin/users/:id (disable) and DELETE /admin/users/:id', () => {
    it('disabling ends every session: access tokens and refresh tokens fail, and login is refused', async () => {
      const user = await signUp(t.http);
      const second = await login(t.http, user.username, user.password);

      await updateUser(t.http, admin.access_token, user.id, { disabled: true });

      await expectSessionDead(t, user.tokens);
      await expectSessionDead(t, second);
      expect(await loginStatus(t.http, user.username, user.password)).toBe(401);
    });

    it('re-enabling does not bring old tokens back, but a new login works', async () => {
      const user = await signUp(t.http);
      await updateUser(t.http, admin.access_token, user.id, { disabled: true });
      await updateUser(t.http, admin.access_token, user.id, { disabled: false });

      await expectSessionDead(t, user.tokens);
      await expectSessionAlive(t, await login(t.http, user.username, user.password));
    });

    it('deleting a user voids their tokens at once', async () => {
      const user = await signUp(t.http);

      await t.http.delete(`/admin/users/${user.id}`).set(bearer(admin.access_token)).expect(204);

      await expectSessionDead(t, user.tokens);
    });
  });

  describe('GET and DELETE /admin/users/:id/sessions', () => {
    it('lists a user’s live sessions without secrets', async () => {
      const user = await signUp(t.http);
      const second = await login(t.http, user.username, user.password);

      const response = await t.http
        .get(`/admin/users/${user.id}/sessions`)
        .set(bearer(admin.access_token))
        .expect(200);

      const sessions = response.body as SessionView[];
      expect(sessions.map((session) => session.id).sort()).toEqual(
        [sessionIdOf(user.tokens.access_token), sessionIdOf(second.access_token)].sort(),
      );
      for (const session of sessions) {
        expect(session).toMatchObject({
          createdAt: expect.any(String),
          lastUsedAt: expect.any(String),
        });
      }
      expectNoSecrets(sessions, [user.tokens, second]);
    });

    it('DELETE answers 204 and ends every session of the user at once', async () => {
      const user = await signUp(t.http);
      const second = await login(t.http, user.username, user.password);
      const bystander = await signUp(t.http);

      await t.http
        .delete(`/admin/users/${user.id}/sessions`)
        .set(bearer(admin.access_token))
        .expect(204);

      await expectSessionDead(t, user.tokens);
      await expectSessionDead(t, second);
      const after = await t.http
        .get(`/admin/users/${user.id}/sessions`)
        .set(bearer(admin.access_token))
        .expect(200);
      expect(after.body).toEqual([]);
      await expectSessionAlive(t, bystander.tokens);
      // The account itself still works.
      await expectSessionAlive(t, await login(t.http, user.username, user.password));
    });

    it('is for admins only (403) and answers 404 for an unknown user', async () => {
      const user = await signUp(t.http);
      expectProblem(
        await t.http.get(`/admin/users/${user.id}/sessions`).set(bearer(user.tokens.access_token)),
        403,
      );
      expectProblem(
        await t.http
          .delete(`/admin/users/${user.id}/sessions`)
          .set(bearer(user.tokens.access_token)),
        403,
      );
      await expectSessionAlive(t, user.tokens);
      const unknown = '00000000-0000-4000-8000-000000000000';
      expectProblem(
        await t.http.get(`/admin/users/${unknown}/sessions`).set(bearer(admin.access_token)),
        404,
      );
      expectProblem(
        await t.http.delete(`/admin/users/${unknown}/sessions`).set(bearer(admin.access_token)),
        404,
      );
    });
  });
});
