import { describe, expect, it } from 'vitest';
import { realServices, type RunningApp } from './support/app.js';
import {
  bearer,
  deviceCookieOf,
  expectProblem,
  expectRetryAfter,
  newUser,
  register,
  Tokens,
} from './support/factories.js';
import { useTestApp } from './support/test-app.js';

/**
 * Issue 3, point 7: rate limits per account and per client IP, configurable,
 * global across instances. Issue 7: the per-account limit locks clients
 * without a device token only (test/login-defence.e2e-spec.ts), and the
 * client IP behind proxies (TRUST_PROXY) cannot be chosen by the client.
 */

describe('per-account login limit and the default per-IP limit (client IP from the socket)', () => {
  const t = useTestApp({ env: { THROTTLE_LOGIN_ACCOUNT: '3/60', THROTTLE_DEFAULT_IP: '5/60' } });

  const attempt = (username: string, password: string, forwardedFor?: string) => {
    const request = t.http.post('/auth/login');
    if (forwardedFor) request.set('X-Forwarded-For', forwardedFor);
    return request.send({ username, password });
  };
  const tokenAttempt = (username: string, password: string) =>
    t.http.post('/auth/token').type('form').send({ grant_type: 'password', username, password });

  it('after 3 failed logins refuses even the right password with 429, Retry-After and a problem body to clients without a device token', async () => {
    const user = await register(t.http);
    const known = await attempt(user.username, user.password).expect(200);
    for (let i = 0; i < 3; i++)
      expect((await attempt(user.username, 'wrong-password')).status).toBe(401);

    const response = await attempt(user.username, user.password);

    expectRetryAfter(response, 60);
    expectProblem(response, 429);
    // The owner's device, known from the earlier sign-in, is not locked by those failures.
    await attempt(user.username, user.password)
      .set('X-Device-Token', deviceCookieOf(known).value)
      .expect(200);
  });

  it('does not lock another account', async () => {
    const locked = await register(t.http);
    const other = await register(t.http);
    for (let i = 0; i < 3; i++) await attempt(locked.username, 'wrong-password').expect(401);
    expect((await attempt(locked.username, locked.password)).status).toBe(429);

    expect((await attempt(other.username, other.password)).status).toBe(200);
  });

  it('counts failures under the username and the email as one account', async () => {
    const user = await register(t.http);
    await attempt(user.username, 'wrong-password').expect(401);
    await attempt(user.email, 'wrong-password').expect(401);
    await attempt(user.username.toUpperCase(), 'wrong-password').expect(401);

    expect((await attempt(user.email, user.password)).status).toBe(429);
    expect((await attempt(user.username, user.password)).status).toBe(429);
  });

  it('is not reset by a different X-Forwarded-For on each attempt', async () => {
    const user = await register(t.http);
    for (let i = 0; i < 3; i++)
      await attempt(user.username, 'wrong-password', `198.51.100.${i + 1}`).expect(401);

    const response = await attempt(user.username, user.password, '198.51.100.99');

    expectRetryAfter(response, 60);
  });

  it('shares the counter between /auth/login and the OAuth2 password grant', async () => {
    const user = await register(t.http);
    await attempt(user.username, 'wrong-password').expect(401);
    await attempt(user.username, 'wrong-password').expect(401);
    const failure = await tokenAttempt(user.username, 'wrong-password');
    expect(failure.status).toBe(400);
    expect(failure.body.error).toBe('invalid_grant');

    const rest = await attempt(user.username, user.password);
    const oauth = await tokenAttempt(user.username, user.password);

    expectRetryAfter(rest, 60);
    expectRetryAfter(oauth, 60);
    expect(oauth.body.access_token).toBeUndefined();
  });

  it('locks the REST login after failures on the token endpoint alone', async () => {
    const user = await register(t.http);
    for (let i = 0; i < 3; i++)
      expect((await tokenAttempt(user.username, 'wrong-password')).status).toBe(400);
    expectRetryAfter(await attempt(user.username, user.password), 60);
  });

  it('THROTTLE_DEFAULT_IP 5/60: the 6th request (any route) is 429 even with a new X-Forwarded-For; /health/live is not limited', async () => {
    const user = await register(t.http);
    const tokens = (await attempt(user.username, user.password).expect(200)).body as Tokens;

    // One budget per client IP for every route of the category, not one per route.
    const statuses: number[] = [];
    for (const path of ['/auth/me', '/users/me', '/auth/sessions', '/auth/me', '/users/me']) {
      statuses.push((await t.http.get(path).set(bearer(tokens.access_token))).status);
    }
    const sixth = await t.http
      .get('/auth/me')
      .set(bearer(tokens.access_token))
      .set('X-Forwarded-For', '192.0.2.77');

    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    expectRetryAfter(sixth, 60);
    expectProblem(sixth, 429);
    for (let i = 0; i < 10; i++) await t.http.get('/health/live').expect(200);
    // Logins have their own per-IP limit.
    await attempt(user.username, user.password).expect(200);
  });
});

/** The `ip` the session of this access token recorded. */
async function sessionIp(t: RunningApp, tokens: Tokens): Promise<string | null> {
  const response = await t.http.get('/auth/sessions').set(bearer(tokens.access_token)).expect(200);
  const sessions = response.body as { ip: string | null; current: boolean }[];
  return sessions.find((session) => session.current)!.ip;
}

describe('per-IP limits by category (TRUST_PROXY=1: the client IP is the entry the proxy appended to X-Forwarded-For)', () => {
  const t = useTestApp({
    env: {
      TRUST_PROXY: '1',
      THROTTLE_LOGIN_ACCOUNT: '3/60',
      THROTTLE_LOGIN_IP: '3/60',
      THROTTLE_REGISTER_IP: '2/3600',
      THROTTLE_REFRESH_IP: '2/60',
    },
  });
  let ipCounter = 0;
  /** A client IP no other test uses. */
  const newIp = () => `203.0.113.${++ipCounter}`;

  const registerFrom = (ip: string, user = newUser()) =>
    t.http.post('/auth/register').set('X-Forwarded-For', ip).send(user);
  const loginFrom = (ip: string, username: string, password: string) =>
    t.http.post('/auth/login').set('X-Forwarded-For', ip).send({ username, password });
  const refreshFrom = (ip: string, refreshToken: string) =>
    t.http.post('/auth/refresh').set('X-Forwarded-For', ip).send({ refresh_token: refreshToken });

  it('keeps the per-account lock while every attempt comes from a new client IP', async () => {
    const user = newUser();
    await registerFrom(newIp(), user).expect(201);
    for (let i = 0; i < 3; i++)
      await loginFrom(newIp(), user.username, 'wrong-password').expect(401);

    expectRetryAfter(await loginFrom(newIp(), user.username, user.password), 60);
  });

  it('THROTTLE_LOGIN_IP 3/60: the 4th login attempt from one IP is 429, another IP is not limited', async () => {
    const ip = newIp();
    const user = newUser();
    await registerFrom(newIp(), user).expect(201);
    // Three different (unknown) accounts, so no per-account lock is involved.
    for (let i = 0; i < 3; i++)
      await loginFrom(ip, `nobody-${i}-${ipCounter}`, 'wrong-password').expect(401);

    const fourth = await loginFrom(ip, user.username, user.password);

    expectRetryAfter(fourth, 60);
    expectProblem(fourth, 429);
    await loginFrom(newIp(), user.username, user.password).expect(200);
  });

  it('THROTTLE_LOGIN_IP also covers the OAuth2 password grant', async () => {
    const ip = newIp();
    for (let i = 0; i < 3; i++)
      await loginFrom(ip, `nobody-oauth-${i}-${ipCounter}`, 'wrong-password').expect(401);
    const response = await t.http
      .post('/auth/token')
      .type('form')
      .set('X-Forwarded-For', ip)
      .send({ grant_type: 'password', username: 'someone', password: 'something' });
    expectRetryAfter(response, 60);
  });

  it('THROTTLE_REGISTER_IP 2/3600: the third registration from one IP is 429 with Retry-After', async () => {
    const ip = newIp();
    await registerFrom(ip).expect(201);
    await registerFrom(ip).expect(201);

    const third = await registerFrom(ip);

    expectRetryAfter(third, 3600);
    expectProblem(third, 429);
    await registerFrom(newIp()).expect(201);
  });

  it('THROTTLE_REFRESH_IP 2/60: the third refresh from one IP is 429 and does not spend the token', async () => {
    const ip = newIp();
    const user = newUser();
    await registerFrom(ip, user).expect(201);
    const first = (await loginFrom(ip, user.username, user.password).expect(200)).body as Tokens;
    const second = (await refreshFrom(ip, first.refresh_token).expect(200)).body as Tokens;
    const third = (await refreshFrom(ip, second.refresh_token).expect(200)).body as Tokens;

    const limited = await refreshFrom(ip, third.refresh_token);

    expectRetryAfter(limited, 60);
    expectProblem(limited, 429);
    // The refused request never reached the token: it still rotates from elsewhere.
    await refreshFrom(newIp(), third.refresh_token).expect(200);
  });

  it('keys the login limit on the right-most entry, so a new left-most entry does not reset it', async () => {
    const ip = newIp();
    const user = newUser();
    await registerFrom(newIp(), user).expect(201);
    // The client writes the left-most entries itself; the proxy appends the address it saw.
    for (let i = 0; i < 3; i++)
      await loginFrom(
        `192.0.2.${i + 1}, ${ip}`,
        `nobody-spoof-${i}-${ipCounter}`,
        'wrong-password',
      ).expect(401);

    const fourth = await loginFrom(`192.0.2.99, ${ip}`, user.username, user.password);

    expectRetryAfter(fourth, 60);
    expectProblem(fourth, 429);
  });

  it('records the right-most entry as the session IP', async () => {
    const ip = newIp();
    const user = newUser();
    await registerFrom(newIp(), user).expect(201);

    const tokens = (await loginFrom(`1.2.3.4, ${ip}`, user.username, user.password).expect(200))
      .body as Tokens;

    expect(await sessionIp(t, tokens)).toBe(ip);
  });
});

describe('per-IP limits with TRUST_PROXY as proxy addresses (127.0.0.1,10.0.0.0/8)', () => {
  // The test client connects from 127.0.0.1: it plays the outer proxy, 10.x the inner ones.
  const t = useTestApp({ env: { TRUST_PROXY: '127.0.0.1,10.0.0.0/8', THROTTLE_LOGIN_IP: '3/60' } });
  let ipCounter = 0;
  /** A client IP no other test uses. */
  const newIp = () => `198.51.100.${++ipCounter}`;

  const loginFrom = (forwardedFor: string, username: string, password: string) =>
    t.http.post('/auth/login').set('X-Forwarded-For', forwardedFor).send({ username, password });

  it('skips the listed proxies from the right and keys the limit on the first other address', async () => {
    const ip = newIp();
    const user = await register(t.http);
    for (let i = 0; i < 3; i++) {
      await loginFrom(
        `192.0.2.${i + 1}, ${ip}, 10.1.2.${i + 1}`,
        `nobody-${i}`,
        'wrong-password',
      ).expect(401);
    }

    const fourth = await loginFrom(`192.0.2.99, ${ip}, 10.9.9.9`, user.username, user.password);

    expectRetryAfter(fourth, 60);
    await loginFrom(`192.0.2.99, ${newIp()}, 10.9.9.9`, user.username, user.password).expect(200);
  });

  it('records the first address that is not a listed proxy as the session IP', async () => {
    const ip = newIp();
    const user = await register(t.http);

    const tokens = (
      await loginFrom(`192.0.2.1, ${ip}, 10.0.0.7`, user.username, user.password).expect(200)
    ).body as Tokens;

    expect(await sessionIp(t, tokens)).toBe(ip);
  });
});

describe.runIf(realServices.databaseUrl && realServices.redisUrl)(
  'rate limits across instances',
  () => {
    const env = { THROTTLE_LOGIN_ACCOUNT: '3/60', THROTTLE_REFRESH_IP: '2/60' };
    const a = useTestApp({ env });
    const b = useTestApp({ env, shareWith: a });

    it('counts failed logins for one account on both instances together', async () => {
      const user = await register(a.http);
      const known = await a.http
        .post('/auth/login')
        .send({ username: user.username, password: user.password })
        .expect(200);
      const fail = (app: RunningApp) =>
        app.http
          .post('/auth/login')
          .send({ username: user.username, password: 'wrong-password' })
          .expect(401);
      await fail(a);
      await fail(a);
      await fail(b);

      const response = await a.http
        .post('/auth/login')
        .send({ username: user.username, password: user.password });

      expectRetryAfter(response, 60);
      expect(
        (
          await b.http
            .post('/auth/login')
            .send({ username: user.username, password: user.password })
        ).status,
      ).toBe(429);
      await b.http
        .post('/auth/login')
        .set('X-Device-Token', deviceCookieOf(known).value)
        .send({ username: user.username, password: user.password })
        .expect(200);
    });

    it('counts per-IP requests on both instances together', async () => {
      const unknownToken = { refresh_token: 'C'.repeat(43) };
      await a.http.post('/auth/refresh').send(unknownToken).expect(401);
      await b.http.post('/auth/refresh').send(unknownToken).expect(401);

      expectRetryAfter(await a.http.post('/auth/refresh').send(unknownToken), 60);
      expectRetryAfter(await b.http.post('/auth/refresh').send(unknownToken), 60);
    });
  },
);
