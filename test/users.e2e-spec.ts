import { describe, expect, it } from 'vitest';
import {
  adminTokens,
  bearer,
  expectProblem,
  invalidFields,
  login,
  loginStatus,
  newUser,
  register,
  updateUser,
  signUp,
} from './support/factories.js';
import { useTestApp } from './support/test-app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** In the zxcvbn-ts common-password list (checked against @zxcvbn-ts/language-common). */
const COMMON_PASSWORD = 'password1234';

describe('users: registration, sign-in and the own profile', () => {
  const t = useTestApp();

  describe('POST /auth/register', () => {
    it('answers 201 with the new user and nothing secret', async () => {
      const user = newUser();
      const response = await t.http.post('/auth/register').send(user).expect(201);

      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.body).toMatchObject({
        id: expect.stringMatching(UUID),
        email: user.email,
        username: user.username,
        roles: ['user'],
        disabled: false,
      });
      const [stored] = await t.sql<{ created_at: Date }>(
        'SELECT created_at FROM users WHERE id = $1',
        [response.body.id],
      );
      expect(response.body.createdAt).toBe(stored.created_at.toISOString());
      expect(Object.keys(response.body).filter((key) => /pass|hash|secret/i.test(key))).toEqual([]);
      const text = JSON.stringify(response.body);
      expect(text).not.toContain(user.password);
      expect(text).not.toMatch(/\$argon2|\$2[aby]\$/);
    });

    it('normalises email and username to lower case', async () => {
      const user = newUser();
      const response = await t.http
        .post('/auth/register')
        .send({ ...user, email: user.email.toUpperCase(), username: user.username.toUpperCase() })
        .expect(201);
      expect(response.body).toMatchObject({ email: user.email, username: user.username });
    });

    it('refuses a second account with the same email in another case (409)', async () => {
      const first = newUser();
      const [local, domain] = first.email.split('@');
      await register(t.http, {
        ...first,
        email: `${local.toUpperCase()}@${domain.replace('example', 'Example')}`,
      });

      const response = await t.http.post('/auth/register').send(newUser({ email: first.email }));
      expect(expectProblem(response, 409).detail).toMatch(/email/i);
    });

    it('refuses a second account with the same username in another case (409)', async () => {
      const first = await register(t.http);
      const response = await t.http
        .post('/auth/register')
        .send(newUser({ username: first.username.toUpperCase() }));
      expect(expectProblem(response, 409).detail).toMatch(/username/i);
    });

    it.each([
      ['roles', { roles: ['admin'] }],
      ['disabled', { disabled: true }],
      ['id', { id: '00000000-0000-4000-8000-000000000000' }],
    ])('refuses the server field %s (400) and stores nothing', async (field, extra) => {
      const user = newUser();
      const response = await t.http.post('/auth/register').send({ ...user, ...extra });
      expectProblem(response, 400);
      expect(invalidFields(response)).toEqual([field]);

      expect(await loginStatus(t.http, user.username, user.password)).toBe(401);
      const again = await t.http.post('/auth/register').send(user).expect(201);
      expect(again.body.roles).toEqual(['user']);
      expect(again.body.disabled).toBe(false);
    });

    it.each([
      ['too short (9)', () => 'Short-1ab'],
      ['too long (129)', () => `Long-${'k'.repeat(124)}`],
      ['a common password', () => COMMON_PASSWORD],
      ['a common password in another case', () => COMMON_PASSWORD.toUpperCase()],
      ['the username', (user: { username: string }) => user.username],
      ['the email', (user: { email: string }) => user.email],
    ])(
      'refuses a password that is %s (400 naming password) and stores nothing',
      async (_, password) => {
        const user = newUser();
        const response = await t.http
          .post('/auth/register')
          .send({ ...user, password: password(user) });
        expectProblem(response, 400);
        expect(invalidFields(response)).toEqual(['password']);

        await t.http.post('/auth/register').send(user).expect(201);
      },
    );

    it('accepts passwords of exactly 10 and 128 characters', async () => {
      for (const length of [10, 128]) {
        const user = newUser();
        const password = `Pw-${user.username}`.padEnd(length, 'z').slice(0, length);
        expect(password).toHaveLength(length);
        await t.http
          .post('/auth/register')
          .send({ ...user, password })
          .expect(201);
        await login(t.http, user.username, password);
      }
    });

    it.each([
      ['email', 'not-an-email'],
      ['email', 'a@b'],
      ['email', 'two words@example.com'],
      ['email', `${'x'.repeat(250)}@example.com`],
      ['email', 42],
      ['username', 'ab'],
      ['username', 'has space'],
      ['username', 'with@sign'],
      ['username', '-leading-dash'],
      ['username', 'x'.repeat(33)],
      ['username', null],
    ])('refuses an invalid %s %j (400 naming it)', async (field, value) => {
      const response = await t.http.post('/auth/register').send({ ...newUser(), [field]: value });
      expectProblem(response, 400);
      expect(invalidFields(response)).toEqual([field]);
    });

    it('refuses a body with fields missing (400 naming each)', async () => {
      const response = await t.http.post('/auth/register').send({});
      expectProblem(response, 400);
      expect(invalidFields(response).sort()).toEqual(['email', 'password', 'username']);
    });
  });

  describe('POST /auth/login', () => {
    it.each([
      ['the username', (user: { username: string }) => user.username],
      ['the username in upper case', (user: { username: string }) => user.username.toUpperCase()],
      ['the email', (user: { email: string }) => user.email],
      [
        'the email in mixed case',
        (user: { email: string }) =>
          user.email.replace(/^./, (c) => c.toUpperCase()).replace('example', 'EXAMPLE'),
      ],
    ])('signs in with %s: 200, OAuth2 token fields, no-store', async (_, loginName) => {
      const user = await register(t.http);
      const response = await t.http
        .post('/auth/login')
        .send({ username: loginName(user), password: user.password })
        .expect(200);

      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.body).toEqual({
        access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
        token_type: 'Bearer',
        expires_in: 900,
        refresh_token: expect.any(String),
      });
      expect(response.body.refresh_token.length).toBeGreaterThanOrEqual(43);
      const me = await t.http.get('/auth/me').set(bearer(response.body.access_token)).expect(200);
      expect(me.body.sub).toBe(user.id);
    });

    it('answers a wrong password, an unknown user and a disabled user with the same 401', async () => {
      const user = await register(t.http);
      const disabled = await register(t.http);
      await updateUser(t.http, (await adminTokens(t.http)).access_token, disabled.id, {
        disabled: true,
      });

      const attempts = [
        await t.http
          .post('/auth/login')
          .send({ username: user.username, password: `${user.password}-wrong` }),
        await t.http
          .post('/auth/login')
          .send({ username: `nobody-${user.username}`, password: user.password }),
        await t.http
          .post('/auth/login')
          .send({ username: disabled.username, password: disabled.password }),
      ];
      const comparable = attempts.map((response) => {
        const { requestId: _id, instance: _instance, ...rest } = expectProblem(response, 401);
        return { body: rest, challenge: response.headers['www-authenticate'] };
      });
      expect(comparable[0].body.detail).toEqual(expect.any(String));
      expect(comparable[0].challenge).toMatch(/^Bearer /);
      expect(comparable[1]).toEqual(comparable[0]);
      expect(comparable[2]).toEqual(comparable[0]);
      expect(JSON.stringify(attempts.map((response) => response.body))).not.toMatch(
        /access_token|refresh_token/,
      );
    });

    it.each([
      ['no username', (user: { password: string }) => ({ password: user.password }), ['username']],
      ['no password', (user: { username: string }) => ({ username: user.username }), ['password']],
      ['an empty body', () => ({}), ['password', 'username']],
      [
        'a non-string password',
        (user: { username: string }) => ({ username: user.username, password: 12345678901 }),
        ['password'],
      ],
      [
        'an extra field',
        (user: { username: string; password: string }) => ({ ...user, remember: true }),
        ['remember'],
      ],
    ])('refuses a body with %s (400 naming the fields)', async (_, body, fields) => {
      const { username, password } = await register(t.http);
      const response = await t.http.post('/auth/login').send(body({ username, password }));
      expectProblem(response, 400);
      expect(invalidFields(response).sort()).toEqual(fields);
    });
  });

  describe('/users/me', () => {
    it('GET returns the profile from the database', async () => {
      const user = await signUp(t.http);
      const response = await t.http
        .get('/users/me')
        .set(bearer(user.tokens.access_token))
        .expect(200);
      expect(response.body).toMatchObject({
        id: user.id,
        email: user.email,
        username: user.username,
        displayName: null,
        roles: ['user'],
        disabled: false,
        lastLoginAt: expect.any(String),
      });
      expect(JSON.stringify(response.body)).not.toMatch(/password|\$argon2/i);
    });

    it('PATCH {displayName} answers 200 and persists it; null clears it', async () => {
      const user = await signUp(t.http);
      const patched = await t.http
        .patch('/users/me')
        .set(bearer(user.tokens.access_token))
        .send({ displayName: '  Ada Lovelace ' })
        .expect(200);
      expect(patched.body).toMatchObject({ id: user.id, displayName: 'Ada Lovelace' });
      const read = await t.http.get('/users/me').set(bearer(user.tokens.access_token)).expect(200);
      expect(read.body.displayName).toBe('Ada Lovelace');

      await t.http
        .patch('/users/me')
        .set(bearer(user.tokens.access_token))
        .send({ displayName: null })
        .expect(200);
      const cleared = await t.http
        .get('/users/me')
        .set(bearer(user.tokens.access_token))
        .expect(200);
      expect(cleared.body.displayName).toBeNull();
    });

    it.each([
      ['email', { email: 'someone-else@example.com' }],
      ['roles', { roles: ['admin'] }],
      ['disabled', { disabled: true }],
      ['displayName', { displayName: 'x'.repeat(101) }],
    ])('PATCH refuses %s (400) and changes nothing', async (field, body) => {
      const user = await signUp(t.http);
      const response = await t.http
        .patch('/users/me')
        .set(bearer(user.tokens.access_token))
        .send({ displayName: 'Kept Out', ...body });
      expectProblem(response, 400);
      expect(invalidFields(response)).toEqual([field]);

      const read = await t.http.get('/users/me').set(bearer(user.tokens.access_token)).expect(200);
      expect(read.body).toMatchObject({
        email: user.email,
        roles: ['user'],
        disabled: false,
        displayName: null,
      });
    });
  });

  describe('POST /users/me/password', () => {
    const change = (token: string, body: Record<string, unknown>) =>
      t.http.post('/users/me/password').set(bearer(token)).send(body);

    it('refuses a wrong current password (400 naming currentPassword) and keeps the old one', async () => {
      const user = await signUp(t.http);
      const response = await change(user.tokens.access_token, {
        currentPassword: `${user.password}-wrong`,
        newPassword: `${user.password}-next`,
      });
      expectProblem(response, 400);
      expect(invalidFields(response)).toEqual(['currentPassword']);
      expect(await loginStatus(t.http, user.username, user.password)).toBe(200);
      expect(await loginStatus(t.http, user.username, `${user.password}-next`)).toBe(401);
    });

    it.each([
      ['too short', () => 'Short-1ab'],
      ['common', () => COMMON_PASSWORD],
      ['the username', (user: { username: string }) => user.username],
    ])('refuses a new password that is %s (400 naming newPassword)', async (_, newPassword) => {
      const user = await signUp(t.http);
      const response = await change(user.tokens.access_token, {
        currentPassword: user.password,
        newPassword: newPassword(user),
      });
      expectProblem(response, 400);
      expect(invalidFields(response)).toEqual(['newPassword']);
      expect(await loginStatus(t.http, user.username, user.password)).toBe(200);
    });

    it('changes the password (204): the old one stops working, the new one signs in', async () => {
      const user = await signUp(t.http);
      const otherDevice = await login(t.http, user.username, user.password);
      const next = `${user.password}-next`;

      const response = await change(user.tokens.access_token, {
        currentPassword: user.password,
        newPassword: next,
      });
      expect(response.status).toBe(204);
      expect(response.text).toBe('');

      expect(await loginStatus(t.http, user.username, user.password)).toBe(401);
      expect(await loginStatus(t.http, user.username, next)).toBe(200);
      // The caller's own session stays signed in; the other device is signed out.
      await t.http.get('/users/me').set(bearer(user.tokens.access_token)).expect(200);
      await t.http.get('/users/me').set(bearer(otherDevice.access_token)).expect(401);
    });
  });
});
