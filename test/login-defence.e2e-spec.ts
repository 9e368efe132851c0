import type supertest from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { realServices } from './support/app.js';
import {
  bearer,
  DEVICE_COOKIE,
  deviceCookieOf,
  expectProblem,
  expectRetryAfter,
  invalidFields,
  NewUser,
  newUser,
  register,
  Tokens,
} from './support/factories.js';
import { meStatus, refreshStatus } from './support/lifecycle.js';
import { type TestClock, useTestApp } from './support/test-app.js';

/**
 * Issue 7, points 2 to 4: sign-in attempts are counted before the password
 * is checked, clients that signed in before keep their own allowance (device
 * tokens), and the current password of a password change is a sign-in too.
 */

type Http = ReturnType<typeof supertest>;

const WRONG = 'wrong-password-123';

interface Device {
  header?: string;
  cookie?: string;
}

function login(http: Http, username: string, password: string, device: Device = {}) {
  const request = http.post('/auth/login');
  if (device.header) request.set('X-Device-Token', device.header);
  if (device.cookie) request.set('Cookie', `${DEVICE_COOKIE}=${device.cookie}`);
  return request.send({ username, password });
}

function passwordGrant(http: Http, username: string, password: string) {
  return http.post('/auth/token').type('form').send({ grant_type: 'password', username, password });
}

/** Registers a user and signs in once, which makes this test client a known device of theirs. */
async function knownDevice(http: Http): Promise<{ user: NewUser; tokens: Tokens; device: string }> {
  const user = await register(http, newUser());
  const response = await login(http, user.username, user.password).expect(200);
  return { user, tokens: response.body as Tokens, device: deviceCookieOf(response).value };
}

async function failLogins(http: Http, username: string, count: number, device: Device = {}) {
  for (let i = 0; i < count; i++) await login(http, username, WRONG, device).expect(401);
}

describe('point 2: every attempt is counted before its password is checked', () => {
  const t = useTestApp({ env: { THROTTLE_LOGIN_ACCOUNT: '5/60' } });

  it('checks at most 5 of 40 concurrent wrong-password logins for one account; the other 35 get 429 with Retry-After', async () => {
    const user = await register(t.http);

    const responses = await Promise.all(
      Array.from({ length: 40 }, () => login(t.http, user.username, WRONG)),
    );

    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(5);
    const refused = responses.filter((response) => response.status === 429);
    expect(refused).toHaveLength(35);
    for (const response of refused) {
      expectRetryAfter(response, 60);
      expectProblem(response, 429);
    }
  });

  it('counts 20 REST logins and 20 password grants racing for one account together', async () => {
    const user = await register(t.http);

    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 2 === 0
          ? login(t.http, user.username, WRONG)
          : passwordGrant(t.http, user.email, WRONG),
      ),
    );

    const checked = responses.filter((response) => [400, 401].includes(response.status));
    expect(checked).toHaveLength(5);
    expect(responses.filter((response) => response.status === 429)).toHaveLength(35);
  });
});

describe.runIf(realServices.databaseUrl && realServices.redisUrl)(
  'point 2 across two instances sharing PostgreSQL and Redis',
  () => {
    const env = { THROTTLE_LOGIN_ACCOUNT: '5/60' };
    const a = useTestApp({ env });
    const b = useTestApp({ env, shareWith: a });

    it('checks at most 5 of 40 concurrent wrong-password logins split across both instances', async () => {
      const user = await register(a.http);

      const responses = await Promise.all(
        Array.from({ length: 40 }, (_, i) => login(i % 2 ? b.http : a.http, user.username, WRONG)),
      );

      expect(responses.filter((response) => response.status === 401)).toHaveLength(5);
      const refused = responses.filter((response) => response.status === 429);
      expect(refused).toHaveLength(35);
      for (const response of refused) expectRetryAfter(response);
    });

    it('lets a device token issued by one instance keep its owner signing in on the other', async () => {
      const { user, device } = await knownDevice(a.http);
      await failLogins(b.http, user.username, 5);

      expectRetryAfter(await login(a.http, user.username, user.password));
      await login(b.http, user.username, user.password, { header: device }).expect(200);
    });
  },
);

describe('point 3: device tokens instead of a lock anyone can trigger', () => {
  const t = useTestApp({
    env: {
      THROTTLE_LOGIN_ACCOUNT: '3/60',
      THROTTLE_LOGIN_DEVICE: '3/60',
      THROTTLE_LOGIN_LOCK_MAX: '200',
    },
  });
  // Lock windows pass without waiting: the attempt counters read the app's clock, in both stores.
  let clock: TestClock;
  beforeAll(() => {
    clock = t.clock();
  });

  it('sets the device token on sign-in as an HttpOnly, Secure, SameSite=Strict cookie for /auth only, never in the body', async () => {
    const user = await register(t.http);

    for (const response of [
      await login(t.http, user.username, user.password).expect(200),
      await passwordGrant(t.http, user.username, user.password).expect(200),
    ]) {
      const cookie = deviceCookieOf(response);
      expect(cookie.value).toMatch(/^d1\.[0-9a-f-]{36}\.[\w-]{22}\.\d+\.[\w-]{43}$/);
      expect(cookie.attributes).toEqual(
        expect.arrayContaining(['httponly', 'secure', 'samesite=strict', 'path=/auth']),
      );
      expect(cookie.attributes.find((a) => a.startsWith('max-age='))).toBe(
        `max-age=${180 * 86400}`,
      );
      expect(JSON.stringify(response.body)).not.toContain(cookie.value);
    }
  });

  it('sets no device cookie when the sign-in fails', async () => {
    const user = await register(t.http);

    const response = await login(t.http, user.username, WRONG).expect(401);

    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('lets the owner sign in from a known device, by header or cookie, while clients without one are locked', async () => {
    const { user, device } = await knownDevice(t.http);
    await failLogins(t.http, user.username, 3);

    const stranger = await login(t.http, user.username, user.password);
    const byHeader = await login(t.http, user.username, user.password, { header: device });
    const byCookie = await login(t.http, user.email, user.password, { cookie: device });
    const byGrant = await passwordGrant(t.http, user.username, user.password).set(
      'X-Device-Token',
      device,
    );

    expect(expectRetryAfter(stranger)).toBe(60);
    expect([byHeader.status, byCookie.status, byGrant.status]).toEqual([200, 200, 200]);
  });

  it('treats a forged or tampered device token as an unknown client', async () => {
    const { user, device } = await knownDevice(t.http);
    await failLogins(t.http, user.username, 3);
    const parts = device.split('.');
    const flip = (text: string) => (text[0] === 'A' ? 'B' : 'A') + text.slice(1);

    const forgeries = [
      'd1.not-a-device-token',
      [...parts.slice(0, 2), flip(parts[2]), ...parts.slice(3)].join('.'),
      [...parts.slice(0, 3), String(Number(parts[3]) + 1), parts[4]].join('.'),
      [...parts.slice(0, 4), flip(parts[4])].join('.'),
    ];

    for (const forged of forgeries) {
      expectRetryAfter(await login(t.http, user.username, user.password, { header: forged }));
      expectRetryAfter(await login(t.http, user.username, user.password, { cookie: forged }));
    }
  });

  it('treats a malformed Cookie header or an oversized device token as no token at all', async () => {
    const { user, device } = await knownDevice(t.http);
    await failLogins(t.http, user.username, 3);

    const malformed = await login(t.http, user.username, user.password).set(
      'Cookie',
      `;;=; ${DEVICE_COOKIE}=%E0%A4%A; ${DEVICE_COOKIE}`,
    );
    const oversized = await login(t.http, user.username, user.password, {
      header: `${device}${'A'.repeat(5000)}`,
    });

    expectRetryAfter(malformed);
    expectRetryAfter(oversized);
  });

  it('does not let a device token of account A help on account B', async () => {
    const a = await knownDevice(t.http);
    const b = await knownDevice(t.http);
    await failLogins(t.http, b.user.username, 3);

    expectRetryAfter(await login(t.http, b.user.username, b.user.password, { header: a.device }));
    await login(t.http, a.user.username, a.user.password, { header: a.device }).expect(200);
  });

  it('keeps failures from elsewhere off the owner’s device while it signs in again and again', async () => {
    const { user, device } = await knownDevice(t.http);
    let current = device;
    for (let round = 0; round < 3; round++) {
      await failLogins(t.http, user.username, 3);
      expectRetryAfter(await login(t.http, user.username, user.password));
      const response = await login(t.http, user.username, user.password, { header: current });
      expect(response.status).toBe(200);
      current = deviceCookieOf(response).value;
      clock.advance(300);
    }
  });

  it('locks a device token that fails too often, but not the owner’s other devices', async () => {
    const { user, device } = await knownDevice(t.http);
    const other = deviceCookieOf(await login(t.http, user.username, user.password).expect(200));
    await failLogins(t.http, user.username, 3, { header: device });

    expect(
      expectRetryAfter(await login(t.http, user.username, user.password, { header: device })),
    ).toBe(60);
    await login(t.http, user.username, user.password, { header: other.value }).expect(200);
    // The device's failures were its own: clients without a token still have their allowance.
    await login(t.http, user.username, user.password).expect(200);
  });

  it('doubles the lock with every 3 further failures, up to THROTTLE_LOGIN_LOCK_MAX (200 s)', async () => {
    const user = await register(t.http);
    const waits: number[] = [];
    for (let round = 0; round < 4; round++) {
      await failLogins(t.http, user.username, 3);
      waits.push(expectRetryAfter(await login(t.http, user.username, user.password)));
      clock.advance(waits[round]);
    }

    expect(waits).toEqual([60, 120, 200, 200]);
  });

  it('gives a successful sign-in its attempt back, so the owner never locks themself out', async () => {
    const user = await register(t.http);
    await failLogins(t.http, user.username, 2);

    for (let i = 0; i < 6; i++) await login(t.http, user.username, user.password).expect(200);

    await failLogins(t.http, user.username, 1);
    expectRetryAfter(await login(t.http, user.username, user.password));
  });

  it('counts failures under the username, the email and any case as one account', async () => {
    const user = await register(t.http);
    await login(t.http, user.username, WRONG).expect(401);
    await login(t.http, user.email.toUpperCase(), WRONG).expect(401);
    await passwordGrant(t.http, user.username.toUpperCase(), WRONG).expect(400);

    expectRetryAfter(await login(t.http, user.email, user.password));
  });

  it('answers for an unknown account exactly as for a real one', async () => {
    const user = await register(t.http);
    const unknown = `nobody-${user.username}`;
    const observe = async (username: string, password: string) => {
      const response = await login(t.http, username, password);
      return {
        status: response.status,
        retryAfter: response.headers['retry-after'],
        challenge: response.headers['www-authenticate'],
        cookie: response.headers['set-cookie'],
        detail: response.body.detail,
      };
    };

    const real = [];
    const fake = [];
    for (let i = 0; i < 4; i++) {
      real.push(await observe(user.username, i < 3 ? WRONG : user.password));
      fake.push(await observe(unknown, i < 3 ? WRONG : user.password));
    }

    expect(fake).toEqual(real);
    expect(real.map((answer) => answer.status)).toEqual([401, 401, 401, 429]);
  });
});

describe('point 4: the current password of a password change is a sign-in too', () => {
  const t = useTestApp({ env: { THROTTLE_LOGIN_ACCOUNT: '3/60' } });

  const changePassword = (
    accessToken: string,
    currentPassword: string,
    user: NewUser,
    device?: string,
  ) => {
    const request = t.http.post('/users/me/password').set(bearer(accessToken));
    if (device) request.set('X-Device-Token', device);
    return request.send({ currentPassword, newPassword: `${user.password}-next` });
  };

  it('answers 400 to wrong current passwords until the allowance is spent, then ends the session (401) and its tokens stop working', async () => {
    const { user, tokens } = await knownDevice(t.http);

    const first = await changePassword(tokens.access_token, WRONG, user);
    const second = await changePassword(tokens.access_token, WRONG, user);
    const third = await changePassword(tokens.access_token, WRONG, user);

    expect(invalidFields(first)).toEqual(['currentPassword']);
    expect(invalidFields(second)).toEqual(['currentPassword']);
    expectProblem(third, 401);
    expect(third.body.detail).toMatch(/signed out/);
    expect(third.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    expect(await meStatus(t.http, tokens.access_token)).toBe(401);
    expect(await refreshStatus(t.http, tokens.refresh_token)).toBe(401);
  });

  it('shares the allowance with sign-in: failed logins and wrong current passwords count together', async () => {
    const { user, tokens, device } = await knownDevice(t.http);
    await failLogins(t.http, user.username, 2);

    const guess = await changePassword(tokens.access_token, WRONG, user);

    expectProblem(guess, 401);
    expectRetryAfter(await login(t.http, user.username, user.password));
    await login(t.http, user.username, user.password, { header: device }).expect(200);
  });

  it('refuses even the right current password with 429 while the account is locked, and leaves the session alone', async () => {
    const { user, tokens } = await knownDevice(t.http);
    await failLogins(t.http, user.username, 3);

    const response = await changePassword(tokens.access_token, user.password, user);

    expect(expectRetryAfter(response)).toBeLessThanOrEqual(60);
    expectProblem(response, 429);
    expect(await meStatus(t.http, tokens.access_token)).toBe(200);
  });

  it('lets the owner change the password from a known device while other clients are locked', async () => {
    const { user, tokens, device } = await knownDevice(t.http);
    await failLogins(t.http, user.username, 3);

    await changePassword(tokens.access_token, user.password, user, device).expect(204);

    await login(t.http, user.username, `${user.password}-next`, { header: device }).expect(200);
  });
});
