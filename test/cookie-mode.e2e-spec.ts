import type supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import {
  bearer,
  expectProblem,
  login,
  register,
  signUp,
  type NewUser,
} from './support/factories.js';
import { useTestApp } from './support/test-app.js';

/** Cookie mode for first-party web apps: tokens in cookies, CSRF on state changes by cookie. */

const ACCESS = '__Host-access-token';
const REFRESH = '__Secure-refresh-token';
const CSRF = '__Host-csrf-token';
const COOKIE_MODE = { 'X-Token-Delivery': 'cookie' };

interface SetCookie {
  value: string;
  attributes: string[];
}

/** The cookies a response sets, by name: value and attributes (lower-cased). */
function setCookies(response: supertest.Response): Map<string, SetCookie> {
  const lines = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
  return new Map(
    lines.map((line) => {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const equals = pair.indexOf('=');
      return [
        pair.slice(0, equals),
        { value: pair.slice(equals + 1), attributes: attributes.map((a) => a.toLowerCase()) },
      ];
    }),
  );
}

/** What a browser holds after a cookie-mode sign-in or refresh. */
interface CookieSession {
  access: string;
  refresh: string;
  csrf: string;
}

function sessionOf(response: supertest.Response): CookieSession {
  expect(response.status, response.text).toBe(200);
  const cookies = setCookies(response);
  return {
    access: cookies.get(ACCESS)!.value,
    refresh: cookies.get(REFRESH)!.value,
    csrf: cookies.get(CSRF)!.value,
  };
}

/** The Cookie header a browser sends: on `/auth/refresh` all three, elsewhere not the refresh cookie. */
function cookieHeader(session: CookieSession, path = '/'): { Cookie: string } {
  const cookies = [`${ACCESS}=${session.access}`, `${CSRF}=${session.csrf}`];
  if (path === '/auth/refresh') cookies.push(`${REFRESH}=${session.refresh}`);
  return { Cookie: cookies.join('; ') };
}

describe('cookie mode', () => {
  const t = useTestApp();

  const cookieLogin = (user: NewUser) =>
    t.http
      .post('/auth/login')
      .set(COOKIE_MODE)
      .send({ username: user.username, password: user.password });
  const signedIn = async (user?: NewUser & { id: string }) => {
    const account = user ?? (await register(t.http));
    return { user: account, session: sessionOf(await cookieLogin(account)) };
  };
  const me = (session: CookieSession) => t.http.get('/auth/me').set(cookieHeader(session));
  const cookieRefresh = (session: CookieSession, csrf: string | null = session.csrf) => {
    const request = t.http
      .post('/auth/refresh')
      .set(COOKIE_MODE)
      .set(cookieHeader(session, '/auth/refresh'));
    return csrf === null ? request : request.set('X-CSRF-Token', csrf);
  };
  const cookieLogout = (session: CookieSession, csrf: string | null = session.csrf) => {
    const request = t.http.post('/auth/logout').set(COOKIE_MODE).set(cookieHeader(session));
    return csrf === null ? request : request.set('X-CSRF-Token', csrf);
  };

  describe('the flow', () => {
    it('signs in with the tokens in strict cookies and none in the body', async () => {
      const user = await register(t.http);

      const response = await cookieLogin(user);

      expect(response.status, response.text).toBe(200);
      expect(response.body).toEqual({
        expires_in: expect.any(Number),
        refresh_expires_in: expect.any(Number),
        csrf_token: expect.any(String),
      });
      const cookies = setCookies(response);
      expect(cookies.get(ACCESS)!.attributes.sort()).toEqual(
        [
          'httponly',
          'secure',
          'samesite=strict',
          'path=/',
          `max-age=${response.body.expires_in}`,
        ].sort(),
      );
      expect(cookies.get(REFRESH)!.attributes.sort()).toEqual(
        [
          'httponly',
          'secure',
          'samesite=strict',
          'path=/auth/refresh',
          `max-age=${response.body.refresh_expires_in}`,
        ].sort(),
      );
      expect(cookies.get(CSRF)!.attributes).not.toContain('httponly');
      expect(cookies.get(CSRF)!.attributes).toEqual(
        expect.arrayContaining(['secure', 'samesite=strict', 'path=/']),
      );
      expect(cookies.get(CSRF)!.value).toBe(response.body.csrf_token);
      expect(response.text).not.toContain(cookies.get(ACCESS)!.value);
      expect(response.text).not.toContain(cookies.get(REFRESH)!.value);
      expect(response.headers['cache-control']).toContain('no-store');
    });

    it('authenticates /auth/me by the access-token cookie', async () => {
      const { user, session } = await signedIn();
      const response = await me(session);
      expect(response.status, response.text).toBe(200);
      expect(response.body.sub).toBe(user.id);
    });

    it('refreshes by cookie: new cookies, the refresh token rotated', async () => {
      const { session } = await signedIn();

      const next = sessionOf(await cookieRefresh(session));

      expect(next.refresh).not.toBe(session.refresh);
      expect(next.access).not.toBe(session.access);
      expect((await me(next)).status).toBe(200);
      // The spent refresh cookie is refused.
      expect((await cookieRefresh({ ...session, csrf: next.csrf }, next.csrf)).status).toBe(401);
    });

    it('signs out by cookie: the session ends and the three cookies are cleared', async () => {
      const { session } = await signedIn();

      const response = await cookieLogout(session);

      expect(response.status, response.text).toBe(204);
      const cleared = setCookies(response);
      for (const name of [ACCESS, REFRESH, CSRF]) {
        expect(cleared.get(name)?.value, name).toBe('');
        expect(cleared.get(name)?.attributes).toContain('max-age=0');
      }
      expect(cleared.get(REFRESH)?.attributes).toContain('path=/auth/refresh');
      expect((await me(session)).status).toBe(401);
      expect((await cookieRefresh(session)).status).toBe(401);
    });

    it('detects reuse of a spent refresh cookie and ends the session', async () => {
      const { session } = await signedIn();
      const next = sessionOf(await cookieRefresh(session));

      // A stolen copy of the first refresh cookie comes back.
      const replay = await cookieRefresh(session);

      expect(replay.status).toBe(401);
      expect((await cookieRefresh(next)).status).toBe(401);
      expect((await me(next)).status).toBe(401);
    });

    it('keeps the default: tokens in the body and no token cookies without the switch', async () => {
      const user = await register(t.http);
      const response = await t.http
        .post('/auth/login')
        .send({ username: user.username, password: user.password })
        .expect(200);
      expect(response.body.access_token).toEqual(expect.any(String));
      expect(
        [...setCookies(response).keys()].filter((name) => name !== '__Secure-device-token'),
      ).toEqual([]);
    });

    it('refuses an unknown delivery mode with 400', async () => {
      const user = await register(t.http);
      const response = await t.http
        .post('/auth/login')
        .set('X-Token-Delivery', 'smoke-signals')
        .send({ username: user.username, password: user.password });
      expectProblem(response, 400);
    });

    it('answers a cookie refresh without a refresh cookie with 401', async () => {
      const response = await t.http.post('/auth/refresh').set(COOKIE_MODE);
      expectProblem(response, 401);
    });

    it('still requires refresh_token in the body without the switch (400)', async () => {
      const response = await t.http.post('/auth/refresh').send({});
      expectProblem(response, 400);
    });
  });

  describe('CSRF', () => {
    it.each<[string, (own: CookieSession, other: CookieSession) => Record<string, string>]>([
      ['no token', () => ({})],
      ['a wrong token', (own) => ({ 'X-CSRF-Token': `${own.csrf.slice(0, -2)}AA` })],
      ['a made-up token', () => ({ 'X-CSRF-Token': 'not-a-token' })],
      [
        'a forged token of the right shape, in header and cookie',
        (own) => {
          const forged = `${'A'.repeat(22)}.${'B'.repeat(43)}`;
          return { 'X-CSRF-Token': forged, Cookie: `${ACCESS}=${own.access}; ${CSRF}=${forged}` };
        },
      ],
      [
        "another session's token (header and cookie)",
        (own, other) => ({
          'X-CSRF-Token': other.csrf,
          Cookie: `${ACCESS}=${own.access}; ${CSRF}=${other.csrf}`,
        }),
      ],
      [
        'a token in the header only (no cookie)',
        (own) => ({ 'X-CSRF-Token': own.csrf, Cookie: `${ACCESS}=${own.access}` }),
      ],
    ])('refuses a state change by cookie with %s: 403, nothing changed', async (_, headers) => {
      const { user, session } = await signedIn();
      const { session: sameUserOther } = await signedIn(user);

      const response = await t.http
        .post('/auth/logout')
        .set(cookieHeader(session))
        .set(headers(session, sameUserOther));

      expectProblem(response, 403);
      expect((await me(session)).status).toBe(200);
    });

    it("refuses another user's CSRF token", async () => {
      const { session } = await signedIn();
      const { session: stranger } = await signedIn();

      const response = await t.http
        .delete(`/auth/sessions/00000000-0000-4000-8000-000000000000`)
        .set({ Cookie: `${ACCESS}=${session.access}; ${CSRF}=${stranger.csrf}` })
        .set('X-CSRF-Token', stranger.csrf);

      expectProblem(response, 403);
    });

    it('needs none for a GET', async () => {
      const { session } = await signedIn();
      const response = await t.http
        .get('/auth/sessions')
        .set({ Cookie: `${ACCESS}=${session.access}` });
      expect(response.status, response.text).toBe(200);
    });

    it('needs it for a cookie refresh, before the refresh token is spent', async () => {
      const { session } = await signedIn();
      const { session: other } = await signedIn();

      expectProblem(await cookieRefresh(session, null), 403);
      expectProblem(await cookieRefresh(session, 'wrong'), 403);
      expectProblem(
        await t.http
          .post('/auth/refresh')
          .set(COOKIE_MODE)
          .set({ Cookie: `${REFRESH}=${session.refresh}; ${CSRF}=${other.csrf}` })
          .set('X-CSRF-Token', other.csrf),
        403,
      );

      expect((await cookieRefresh(session)).status).toBe(200);
    });

    it('needs it for a cookie logout', async () => {
      const { session } = await signedIn();
      expectProblem(await cookieLogout(session, null), 403);
      expect((await me(session)).status).toBe(200);
    });

    it('leaves bearer requests alone: no CSRF token, and cookies ignored beside a header', async () => {
      const user = await signUp(t.http);
      const { session: stranger } = await signedIn();

      const mine = await t.http
        .get('/auth/me')
        .set(bearer(user.tokens.access_token))
        .set(cookieHeader(stranger));
      expect(mine.body.sub).toBe(user.id);
      // A refused bearer token does not fall back to the cookie.
      const refused = await t.http
        .get('/auth/me')
        .set(bearer(`${user.tokens.access_token}x`))
        .set(cookieHeader(stranger));
      expect(refused.status).toBe(401);

      await t.http.post('/auth/logout').set(bearer(user.tokens.access_token)).expect(204);
      const again = await login(t.http, user.username, user.password);
      await t.http.post('/auth/logout-all').set(bearer(again.access_token)).expect(204);
    });
  });
});
