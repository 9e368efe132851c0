import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { Response } from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { Clock } from '../src/common/clock.js';
import { SigningKeysService } from '../src/tokens/signing-keys.service.js';
import {
  adminTokens,
  bearer,
  decodeJwt,
  expectProblem,
  invalidFields,
  signJwt,
  signUp,
  type SignedInUser,
} from './support/factories.js';
import { useTestApp } from './support/test-app.js';

/** What must never reach a client: library error names, stack frames, SQL, source paths. */
const LEAKS =
  /QueryFailedError|TypeORMError|EntityNotFound|\bstack\b|\n\s*at |\bat .+:\d+:\d+|SELECT |INSERT INTO|UPDATE "|node_modules|\.[jt]s:\d+/;

describe('errors, limits and token refusal', () => {
  const t = useTestApp();
  let user: SignedInUser;
  let admin: string;

  beforeAll(async () => {
    user = await signUp(t.http);
    admin = (await adminTokens(t.http)).access_token;
  });

  describe('one problem+json body for every error', () => {
    it('404 for an unknown route', async () => {
      const response = await t.http.get('/no/such/route?x=1');
      const body = expectProblem(response, 404);
      expect(body).toMatchObject({ title: 'Not Found', instance: '/no/such/route' });
    });

    it('400 for malformed JSON', async () => {
      const response = await t.http
        .post('/auth/register')
        .set('content-type', 'application/json')
        .send('{"email":');
      expect(expectProblem(response, 400).title).toBe('Bad Request');
    });

    it('413 for a JSON body over 64 KB; a body under it reaches validation', async () => {
      const body = (size: number) => ({
        email: 'big@example.com',
        username: 'big-body',
        password: 'p'.repeat(size),
      });
      expectProblem(await t.http.post('/auth/register').send(body(70 * 1024)), 413);
      const under = await t.http.post('/auth/register').send(body(60 * 1024));
      expectProblem(under, 400);
      expect(invalidFields(under)).toEqual(['password']);
    });

    it('400 listing the fields for invalid input', async () => {
      const response = await t.http.post('/auth/register').send({ email: 'nope' });
      const body = expectProblem(response, 400);
      expect(body.errors).toEqual(
        expect.arrayContaining([
          { field: 'email', messages: expect.arrayContaining([expect.any(String)]) },
        ]),
      );
      expect(invalidFields(response).sort()).toEqual(['email', 'password', 'username']);
    });

    it('403 for a missing role', async () => {
      const response = await t.http.get('/admin/users').set(bearer(user.tokens.access_token));
      expect(expectProblem(response, 403).title).toBe('Forbidden');
    });
  });

  describe('401 and the WWW-Authenticate challenge', () => {
    it('without a token: Bearer realm="auth" and no error attribute', async () => {
      for (const headers of [{}, { Authorization: 'Basic dXNlcjpwYXNz' }]) {
        const response = await t.http.get('/users/me').set(headers);
        expectProblem(response, 401);
        expect(response.headers['www-authenticate']).toBe('Bearer realm="auth"');
      }
    });

    it.each<[string, () => string]>([
      ['garbage', () => 'garbage'],
      ['three garbage segments', () => 'aaa.bbb.ccc'],
      ['a refresh token', () => user.tokens.refresh_token],
    ])('with %s as the token: error="invalid_token"', async (_, token) => {
      const response = await t.http.get('/users/me').set(bearer(token()));
      expectProblem(response, 401);
      expect(response.headers['www-authenticate']).toMatch(
        /^Bearer realm="auth", error="invalid_token"/,
      );
    });
  });

  describe('tokens the server did not issue are refused', () => {
    let serverKey: { kid: string; signingKey: KeyObject };
    let jwksKid: string;
    let claims: Record<string, unknown>;
    const header = () => ({ alg: 'RS256', typ: 'at+jwt', kid: serverKey.kid });
    const now = () => t.app.get(Clock).nowSeconds();

    beforeAll(async () => {
      serverKey = t.app.get(SigningKeysService).activeKey();
      jwksKid = (await t.http.get('/.well-known/jwks.json').expect(200)).body.keys[0].kid;
      claims = decodeJwt(user.tokens.access_token).payload;
    });

    const expectRefused = async (token: string) => {
      const response = await t.http.get('/users/me').set(bearer(token));
      expectProblem(response, 401);
      expect(response.headers['www-authenticate']).toContain('error="invalid_token"');
      return response;
    };

    it('control: a token built here with the server key and the same claims is accepted', async () => {
      expect(jwksKid).toBe(serverKey.kid);
      await t.http
        .get('/users/me')
        .set(bearer(signJwt(header(), claims, serverKey.signingKey)))
        .expect(200);
    });

    it('signed by another key under the server kid (from the JWKS)', async () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      await expectRefused(
        signJwt({ alg: 'RS256', typ: 'at+jwt', kid: jwksKid }, claims, privateKey),
      );
    });

    it('with alg none', async () => {
      await expectRefused(signJwt({ alg: 'none', typ: 'at+jwt', kid: serverKey.kid }, claims));
      await expectRefused(signJwt({ alg: 'none', typ: 'at+jwt' }, claims));
    });

    it('HS256 signed with the public key PEM as the secret', async () => {
      const jwk = (await t.http.get('/.well-known/jwks.json').expect(200)).body.keys[0];
      const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({
        type: 'spki',
        format: 'pem',
      });
      await expectRefused(
        signJwt({ alg: 'HS256', typ: 'at+jwt', kid: serverKey.kid }, claims, pem),
      );
    });

    it('carrying its own key in an embedded jwk header', async () => {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const jwk = publicKey.export({ format: 'jwk' });
      await expectRefused(signJwt({ ...header(), jwk }, claims, privateKey));
    });

    it('with the payload changed after signing (roles raised to admin)', async () => {
      const [encodedHeader, , signature] = user.tokens.access_token.split('.');
      const raised = Buffer.from(JSON.stringify({ ...claims, roles: ['admin', 'user'] })).toString(
        'base64url',
      );
      await expectRefused(`${encodedHeader}.${raised}.${signature}`);
      expectProblem(
        await t.http.get('/admin/users').set(bearer(`${encodedHeader}.${raised}.${signature}`)),
        401,
      );
    });

    // Signed with the real server key, so each is refused only for the one thing it changes.
    it.each<[string, () => Record<string, unknown>, () => Record<string, unknown>]>([
      ['typ JWT', () => ({ ...header(), typ: 'JWT' }), () => claims],
      ['no typ', () => ({ alg: 'RS256', kid: serverKey.kid }), () => claims],
      [
        'an embedded jwk of the server key',
        () => ({ ...header(), jwk: serverKey.signingKey.export({ format: 'jwk' }) }),
        () => claims,
      ],
      [
        'a jku header',
        () => ({ ...header(), jku: 'https://attacker.example/jwks.json' }),
        () => claims,
      ],
      [
        'an x5u header',
        () => ({ ...header(), x5u: 'https://attacker.example/cert.pem' }),
        () => claims,
      ],
      ['a crit header', () => ({ ...header(), crit: ['exp'] }), () => claims],
      ['an unknown kid', () => ({ ...header(), kid: 'not-our-key' }), () => claims],
      [
        'an expiry past the clock tolerance',
        header,
        () => ({ ...claims, iat: now() - 1000, exp: now() - 100 }),
      ],
      ['no expiry', header, () => ({ ...claims, exp: undefined })],
      [
        'a lifetime over the policy',
        header,
        () => ({ ...claims, iat: now(), exp: now() + 86_400 }),
      ],
      [
        'an issue time in the future',
        header,
        () => ({ ...claims, iat: now() + 3600, exp: now() + 4500 }),
      ],
      ['another issuer', header, () => ({ ...claims, iss: 'https://attacker.example' })],
      ['another audience', header, () => ({ ...claims, aud: 'other-services' })],
      ['no jti', header, () => ({ ...claims, jti: undefined })],
      ['no sid', header, () => ({ ...claims, sid: undefined })],
      ['an unknown role', header, () => ({ ...claims, roles: ['root'] })],
    ])('with %s, even when signed by the server key', async (_, makeHeader, makeClaims) => {
      const payload = JSON.parse(JSON.stringify(makeClaims())) as Record<string, unknown>;
      await expectRefused(signJwt(makeHeader(), payload, serverKey.signingKey));
    });

    it('says an expired token has expired', async () => {
      const token = signJwt(
        header(),
        { ...claims, iat: now() - 1000, exp: now() - 100 },
        serverKey.signingKey,
      );
      expect((await expectRefused(token)).body.detail).toMatch(/expired/i);
    });
  });

  describe('nothing internal leaks, and input the database cannot store is a 4xx', () => {
    const probes: [string, () => PromiseLike<Response>, number][] = [
      ['unknown route', () => t.http.get('/nope'), 404],
      [
        'malformed JSON',
        () =>
          t.http.post('/auth/login').set('content-type', 'application/json').send('{"username":'),
        400,
      ],
      [
        'empty JSON body',
        () => t.http.post('/auth/login').set('content-type', 'application/json').send(''),
        400,
      ],
      ['a JSON array body', () => t.http.post('/auth/register').send([1, 2]), 400],
      [
        'a JSON null body',
        () => t.http.post('/auth/register').set('content-type', 'application/json').send('null'),
        400,
      ],
      [
        '__proto__ in the body',
        () =>
          t.http
            .post('/auth/register')
            .set('content-type', 'application/json')
            .send('{"__proto__":{"roles":["admin"]}}'),
        400,
      ],
      [
        'SQL in the email',
        () =>
          t.http.post('/auth/register').send({
            email: "x'; SELECT 1; --@example.com",
            username: 'sql-x',
            password: 'long-enough-pass',
          }),
        400,
      ],
      [
        'NUL in the login name',
        () =>
          t.http
            .post('/auth/login')
            .send({ username: 'nul\u0000user', password: 'long-enough-pass' }),
        401,
      ],
      [
        'NUL in the login email',
        () =>
          t.http
            .post('/auth/login')
            .send({ username: 'nul\u0000@example.com', password: 'long-enough-pass' }),
        401,
      ],
      [
        'NUL in the display name',
        () =>
          t.http
            .patch('/users/me')
            .set(bearer(user.tokens.access_token))
            .send({ displayName: 'a\u0000b' }),
        400,
      ],
      [
        'NUL in an admin search',
        () => t.http.get('/admin/users?search=a%00b').set(bearer(admin)),
        400,
      ],
      [
        'NUL in a refresh token',
        () => t.http.post('/auth/refresh').send({ refresh_token: 'a\u0000b' }),
        400,
      ],
      [
        'a non-uuid session id',
        () => t.http.delete('/auth/sessions/1%20OR%201=1').set(bearer(user.tokens.access_token)),
        400,
      ],
      [
        'a non-uuid user id',
        () => t.http.get("/admin/users/1'%20OR%20'1'='1").set(bearer(admin)),
        400,
      ],
    ];

    it.each(probes)('%s', async (_, request, status) => {
      const response = await request();
      expectProblem(response, status);
      expect(response.text).not.toMatch(LEAKS);
    });

    it('a NUL in the login name reads like any other failed sign-in', async () => {
      const nul = await t.http
        .post('/auth/login')
        .send({ username: 'nobody\u0000', password: 'long-enough-pass' });
      const unknown = await t.http
        .post('/auth/login')
        .send({ username: 'nobody-at-all', password: 'long-enough-pass' });
      expect(expectProblem(nul, 401).detail).toBe(expectProblem(unknown, 401).detail);
    });

    it('names the field that held the NUL', async () => {
      const response = await t.http
        .patch('/users/me')
        .set(bearer(user.tokens.access_token))
        .send({ displayName: 'a\u0000b' });
      expect(invalidFields(response)).toEqual(['displayName']);
      const profile = await t.http
        .get('/users/me')
        .set(bearer(user.tokens.access_token))
        .expect(200);
      expect(profile.body.displayName).toBeNull();
    });
  });

  describe('headers', () => {
    it.each([
      ['a success', '/health/live', 200],
      ['an error', '/users/me', 401],
    ])('security headers on %s, and no X-Powered-By', async (_, path, status) => {
      const response = await t.http.get(path).expect(status);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-frame-options']).toBeDefined();
      expect(response.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(response.headers['content-security-policy']).toContain("default-src 'self'");
      expect(response.headers['x-powered-by']).toBeUndefined();
    });

    it('errors are never cached', async () => {
      expect((await t.http.get('/users/me')).headers['cache-control']).toBe('no-store');
    });

    it('echoes a sane X-Request-Id, in the header and the error body', async () => {
      const response = await t.http.get('/nope').set('x-request-id', 'client-req.42_A');
      expect(response.headers['x-request-id']).toBe('client-req.42_A');
      expect(expectProblem(response, 404).requestId).toBe('client-req.42_A');
      const ok = await t.http
        .get('/health/live')
        .set('x-request-id', 'client-req.43_B')
        .expect(200);
      expect(ok.headers['x-request-id']).toBe('client-req.43_B');
    });

    it('generates a fresh X-Request-Id when none (or an unsafe one) is sent', async () => {
      const first = await t.http.get('/health/live').expect(200);
      const second = await t.http.get('/health/live').expect(200);
      expect(first.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(second.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(second.headers['x-request-id']).not.toBe(first.headers['x-request-id']);

      for (const unsafe of ['has spaces in it', 'x'.repeat(65), 'quote"inside']) {
        const response = await t.http.get('/health/live').set('x-request-id', unsafe).expect(200);
        expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      }
    });
  });
});
