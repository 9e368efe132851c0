import { describe, expect, it } from 'vitest';
import { bearer, login, newUser, register, signUp } from './support/factories.js';
import { useTestApp } from './support/test-app.js';

describe('sign-up and sign-in', () => {
  const t = useTestApp();

  it('registers a user and never returns the password hash', async () => {
    const user = newUser({ email: 'Mixed.Case@Example.COM' });
    const response = await t.http.post('/auth/register').send(user).expect(201);
    expect(response.body).toMatchObject({
      email: 'mixed.case@example.com',
      username: user.username,
      roles: ['user'],
    });
    expect(JSON.stringify(response.body)).not.toMatch(/argon2|password/i);
  });

  it('logs in and reads /auth/me and /users/me', async () => {
    const user = await signUp(t.http);
    expect(user.tokens.token_type).toBe('Bearer');
    const me = await t.http.get('/auth/me').set(bearer(user.tokens.access_token)).expect(200);
    expect(me.body).toMatchObject({
      sub: user.id,
      roles: ['user'],
      iss: 'https://auth.test.local',
      aud: 'test-services',
    });
    const profile = await t.http.get('/users/me').set(bearer(user.tokens.access_token)).expect(200);
    expect(profile.body).toMatchObject({ id: user.id, email: user.email });
  });

  it('gives unknown users and wrong passwords the same 401', async () => {
    const user = await register(t.http);
    const wrong = await t.http
      .post('/auth/login')
      .send({ username: user.username, password: 'not-the-password' })
      .expect(401);
    const unknown = await t.http
      .post('/auth/login')
      .send({ username: 'nobody-here', password: 'not-the-password' })
      .expect(401);
    expect(wrong.body.detail).toBe(unknown.body.detail);
    await login(t.http, user.email, user.password);
  });
});
