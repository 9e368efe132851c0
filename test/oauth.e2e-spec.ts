import type supertest from 'supertest';
import { v7 as uuidv7 } from 'uuid';
import { beforeAll, describe, expect, it } from 'vitest';
import { OAuthClientsService } from '../src/clients/oauth-clients.service.js';
import { Clock } from '../src/common/clock.js';
import { SigningKeysService } from '../src/tokens/signing-keys.service.js';
import {
  adminTokens,
  bearer,
  decodeJwt,
  login,
  signJwt,
  signUp,
  Tokens,
} from './support/factories.js';
import { basicAuth, meStatus, refreshStatus, sessionIdOf } from './support/lifecycle.js';
import { useTestApp } from './support/test-app.js';

/** Issue 3, point 5: the RFC 6749 token endpoint, RFC 7009 revocation, RFC 7662 introspection. */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Client {
  client_id: string;
  client_secret: string;
}

/** An RFC 6749 §5.2 error: status, plain JSON (not problem+json), the error code, no-store. */
function expectOAuthError(response: supertest.Response, status: number, error: string): void {
  expect(response.status, response.text).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  expect(response.body.error).toBe(error);
  expect(response.headers['cache-control']).toContain('no-store');
  if (response.body.error_description !== undefined)
    expect(response.body.error_description).toEqual(expect.any(String));
}

/** The form Swagger UI's Authorize dialog posts for the password flow. */
const swaggerPasswordForm = (user: { username: string; password: string }) =>
  `grant_type=password&scope=&username=${encodeURIComponent(user.username)}&password=${encodeURIComponent(user.password)}`;

describe('OAuth2 endpoints', () => {
  const t = useTestApp();
  let admin: Tokens;
  let client: Client;

  const token = (form: Record<string, string>) =>
    t.http.post('/auth/token').type('form').send(form);
  const passwordGrant = (username: string, password: string) =>
    token({ grant_type: 'password', username, password });
  const introspect = (
    tokenValue: string,
    auth: Record<string, string> = basicAuth(client.client_id, client.client_secret),
  ) => t.http.post('/oauth/introspect').type('form').set(auth).send({ token: tokenValue });
  const revoke = (tokenValue: string) =>
    t.http.post('/oauth/revoke').type('form').send({ token: tokenValue });

  async function createClient(name: string, roles: string[] = []): Promise<Client> {
    const response = await t.http
      .post('/admin/clients')
      .set(bearer(admin.access_token))
      .send({ name, roles })
      .expect(201);
    return response.body as Client;
  }

  beforeAll(async () => {
    admin = await adminTokens(t.http);
    client = await createClient('introspection-tests');
  });

  describe('POST /auth/token, grant_type=password', () => {
    it('answers 200 with the OAuth2 token fields and Cache-Control: no-store', async () => {
      const user = await signUp(t.http);

      const response = await passwordGrant(user.username, user.password);

      expect(response.status, response.text).toBe(200);
      expect(response.headers['cache-control']).toContain('no-store');
      expect(response.body).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: expect.any(Number),
        refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{43,}$/),
      });
      expect(response.body.expires_in).toBeGreaterThan(0);
      const me = await t.http.get('/auth/me').set(bearer(response.body.access_token)).expect(200);
      expect(me.body.sub).toBe(user.id);
    });

    it('accepts the email as username', async () => {
      const user = await signUp(t.http);
      const response = await passwordGrant(user.email, user.password);
      expect(response.status).toBe(200);
    });

    it('answers a wrong password with 400 invalid_grant as application/json', async () => {
      const user = await signUp(t.http);
      const response = await passwordGrant(user.username, 'not-the-password');
      expectOAuthError(response, 400, 'invalid_grant');
    });

    it('answers an unknown user exactly like a wrong password', async () => {
      const user = await signUp(t.http);
      const wrong = await passwordGrant(user.username, 'not-the-password');
      const unknown = await passwordGrant('nobody-at-all', 'not-the-password');
      expectOAuthError(unknown, 400, 'invalid_grant');
      expect(unknown.body.error_description).toBe(wrong.body.error_description);
    });

    it('answers a missing grant_type with 400 invalid_request', async () => {
      const response = await token({ username: 'someone', password: 'something' });
      expectOAuthError(response, 400, 'invalid_request');
    });

    it('answers a missing password with 400 invalid_request', async () => {
      const response = await token({ grant_type: 'password', username: 'someone' });
      expectOAuthError(response, 400, 'invalid_request');
    });

    it('answers an unknown grant with 400 unsupported_grant_type', async () => {
      const response = await token({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code' });
      expectOAuthError(response, 400, 'unsupported_grant_type');
    });
  });

  describe('POST /auth/token, grant_type=refresh_token', () => {
    it('rotates: new tokens in the same session, and the old refresh token then gets invalid_grant', async () => {
      const user = await signUp(t.http);

      const response = await token({
        grant_type: 'refresh_token',
        refresh_token: user.tokens.refresh_token,
      });

      expect(response.status, response.text).toBe(200);
      expect(response.headers['cache-control']).toContain('no-store');
      expect(response.body.refresh_token).not.toBe(user.tokens.refresh_token);
      expect(sessionIdOf(response.body.access_token)).toBe(sessionIdOf(user.tokens.access_token));
      expect(await meStatus(t.http, response.body.access_token)).toBe(200);

      const again = await token({
        grant_type: 'refresh_token',
        refresh_token: user.tokens.refresh_token,
      });
      expectOAuthError(again, 400, 'invalid_grant');
      // That was reuse: the family is gone, including the tokens just issued.
      expect(await meStatus(t.http, response.body.access_token)).toBe(401);
    });

    it('answers a missing refresh_token with invalid_request and an access token with invalid_grant or invalid_request', async () => {
      const user = await signUp(t.http);
      expectOAuthError(await token({ grant_type: 'refresh_token' }), 400, 'invalid_request');
      const response = await token({
        grant_type: 'refresh_token',
        refresh_token: user.tokens.access_token,
      });
      expect(response.status).toBe(400);
      expect(['invalid_grant', 'invalid_request']).toContain(response.body.error);
      expect(await refreshStatus(t.http, user.tokens.refresh_token)).toBe(200);
    });
  });

  describe('service clients and grant_type=client_credentials', () => {
    it('POST /admin/clients shows the secret once; GET /admin/clients never does', async () => {
      const created = await t.http
        .post('/admin/clients')
        .set(bearer(admin.access_token))
        .send({ name: 'billing-service' })
        .expect(201);

      expect(created.body).toMatchObject({
        client_id: expect.stringMatching(/^svc_/),
        client_secret: expect.any(String),
        name: 'billing-service',
      });
      expect(created.body.client_secret.length).toBeGreaterThanOrEqual(32);
      const list = await t.http.get('/admin/clients').set(bearer(admin.access_token)).expect(200);
      const listed = (list.body as Record<string, unknown>[]).find(
        (entry) => entry.client_id === created.body.client_id,
      );
      expect(listed).toMatchObject({ name: 'billing-service' });
      expect(JSON.stringify(list.body)).not.toContain(created.body.client_secret);
      expect(
        (list.body as object[]).flatMap(Object.keys).filter((key) => /secret|hash/i.test(key)),
      ).toEqual([]);
    });

    it('is for admins only (403 for a user)', async () => {
      const user = await signUp(t.http);
      const response = await t.http
        .post('/admin/clients')
        .set(bearer(user.tokens.access_token))
        .send({ name: 'x' });
      expect(response.status).toBe(403);
      expect(
        (await t.http.get('/admin/clients').set(bearer(user.tokens.access_token))).status,
      ).toBe(403);
    });

    it('issues a token without a refresh token to a client authenticated with HTTP Basic', async () => {
      const service = await createClient('reports-service');

      const response = await token({ grant_type: 'client_credentials' }).set(
        basicAuth(service.client_id, service.client_secret),
      );

      expect(response.status, response.text).toBe(200);
      expect(response.headers['cache-control']).toContain('no-store');
      expect(response.body).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: expect.any(Number),
      });
      const me = await t.http.get('/auth/me').set(bearer(response.body.access_token)).expect(200);
      expect(me.body).toMatchObject({
        sub: `client:${service.client_id}`,
        client_id: service.client_id,
      });
      expect(me.body.sub).not.toMatch(UUID);
      expect(me.body.sid ?? null).toBeNull();
    });

    it('keeps a client token out of user endpoints (/users/me → 401)', async () => {
      const service = await createClient('users-probe');
      const response = await token({ grant_type: 'client_credentials' }).set(
        basicAuth(service.client_id, service.client_secret),
      );
      expect((await t.http.get('/users/me').set(bearer(response.body.access_token))).status).toBe(
        401,
      );
      expect(
        (await t.http.get('/auth/sessions').set(bearer(response.body.access_token))).status,
      ).toBe(401);
    });

    it('accepts client_id and client_secret in the body from a client registered for it', async () => {
      const service = (
        await t.http
          .post('/admin/clients')
          .set(bearer(admin.access_token))
          .send({ name: 'body-auth-service', token_endpoint_auth_method: 'client_secret_post' })
          .expect(201)
      ).body as Client;
      const response = await token({
        grant_type: 'client_credentials',
        client_id: service.client_id,
        client_secret: service.client_secret,
      });
      expect(response.status, response.text).toBe(200);
      expect(decodeJwt(response.body.access_token).payload.client_id).toBe(service.client_id);
    });

    it('refuses Basic and body credentials together (400 invalid_request)', async () => {
      const service = await createClient('both-methods');
      const response = await token({
        grant_type: 'client_credentials',
        client_id: service.client_id,
        client_secret: service.client_secret,
      }).set(basicAuth(service.client_id, service.client_secret));
      expectOAuthError(response, 400, 'invalid_request');
    });

    it('answers a wrong secret, an unknown client or no client with 401 invalid_client and a Basic challenge', async () => {
      const service = await createClient('wrong-secret');
      const cases = [
        token({ grant_type: 'client_credentials' }).set(
          basicAuth(service.client_id, `${service.client_secret}x`),
        ),
        token({
          grant_type: 'client_credentials',
          client_id: service.client_id,
          client_secret: 'nope',
        }),
        token({ grant_type: 'client_credentials' }).set(
          basicAuth('svc_AAAAAAAAAAAAAAAA', service.client_secret),
        ),
        token({ grant_type: 'client_credentials' }),
      ];
      for (const response of await Promise.all(cases)) {
        expectOAuthError(response, 401, 'invalid_client');
        expect(response.headers['www-authenticate']).toMatch(/^Basic/);
      }
    });

    it('works for a client made through the service the CLI uses (clients:create)', async () => {
      const { client: made, secret } = await t.app
        .get(OAuthClientsService)
        .create({ name: 'cli-made' });

      const response = await token({ grant_type: 'client_credentials' }).set(
        basicAuth(made.clientId, secret ?? ''),
      );

      expect(response.status, response.text).toBe(200);
      const list = await t.http.get('/admin/clients').set(bearer(admin.access_token)).expect(200);
      expect((list.body as { client_id: string }[]).map((entry) => entry.client_id)).toContain(
        made.clientId,
      );
    });

    it('stops issuing tokens to a deleted client', async () => {
      const service = await createClient('short-lived');
      await t.http
        .delete(`/admin/clients/${service.client_id}`)
        .set(bearer(admin.access_token))
        .expect(204);
      const response = await token({ grant_type: 'client_credentials' }).set(
        basicAuth(service.client_id, service.client_secret),
      );
      expectOAuthError(response, 401, 'invalid_client');
    });
  });

  describe('POST /oauth/revoke (RFC 7009)', () => {
    it('answers 200 for tokens it does not know', async () => {
      for (const unknown of [
        'A'.repeat(43),
        'not-a-token',
        'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
      ]) {
        expect((await revoke(unknown)).status, unknown).toBe(200);
      }
    });

    it('revoking a refresh token ends its session: the refresh token and the session’s access tokens stop', async () => {
      const user = await signUp(t.http);
      const other = await login(t.http, user.username, user.password);

      expect((await revoke(user.tokens.refresh_token)).status).toBe(200);

      expect(await refreshStatus(t.http, user.tokens.refresh_token)).toBe(401);
      expect(await meStatus(t.http, user.tokens.access_token)).toBe(401);
      expect(await meStatus(t.http, other.access_token)).toBe(200);
    });

    it('revoking an access token makes it 401', async () => {
      const user = await signUp(t.http);
      expect(await meStatus(t.http, user.tokens.access_token)).toBe(200);

      expect((await revoke(user.tokens.access_token)).status).toBe(200);

      expect(await meStatus(t.http, user.tokens.access_token)).toBe(401);
    });

    it('refuses a client with the wrong secret (401 invalid_client) and revokes nothing', async () => {
      const user = await signUp(t.http);
      const response = await t.http
        .post('/oauth/revoke')
        .type('form')
        .set(basicAuth(client.client_id, 'wrong-secret'))
        .send({ token: user.tokens.refresh_token });
      expectOAuthError(response, 401, 'invalid_client');
      expect(await refreshStatus(t.http, user.tokens.refresh_token)).toBe(200);
    });
  });

  describe('POST /oauth/introspect (RFC 7662)', () => {
    /** An access token signed with the server's own active key, with the times given. */
    function forgeWithServerKey(
      user: { id: string },
      sid: string,
      iat: number,
      exp: number,
    ): string {
      const key = t.app.get(SigningKeysService).activeKey();
      return signJwt(
        { alg: key.algorithm, typ: 'at+jwt', kid: key.kid },
        {
          iss: 'https://auth.test.local',
          aud: 'test-services',
          sub: user.id,
          iat,
          exp,
          jti: uuidv7(),
          sid,
          roles: ['user'],
        },
        key.signingKey,
      );
    }

    it('needs client authentication or a Bearer token (401)', async () => {
      const user = await signUp(t.http);
      const response = await t.http
        .post('/oauth/introspect')
        .type('form')
        .send({ token: user.tokens.access_token });
      expect(response.status).toBe(401);
      expect(response.body.active).toBeUndefined();
    });

    it('describes an active access token to an authenticated client', async () => {
      const user = await signUp(t.http);
      const claims = decodeJwt(user.tokens.access_token).payload;

      const response = await introspect(user.tokens.access_token);

      expect(response.status, response.text).toBe(200);
      expect(response.headers['cache-control']).toContain('no-store');
      expect(response.body).toMatchObject({
        active: true,
        token_type: 'access_token',
        sub: user.id,
        sid: claims.sid,
        jti: claims.jti,
        iat: claims.iat,
        exp: claims.exp,
        roles: ['user'],
      });
    });

    it('describes an active refresh token', async () => {
      const user = await signUp(t.http);
      const response = await introspect(user.tokens.refresh_token);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        active: true,
        token_type: 'refresh_token',
        sub: user.id,
        sid: sessionIdOf(user.tokens.access_token),
        exp: expect.any(Number),
      });
    });

    it('answers exactly {"active": false} for revoked, spent, garbage and expired tokens', async () => {
      const loggedOut = await signUp(t.http);
      await t.http.post('/auth/logout').set(bearer(loggedOut.tokens.access_token)).expect(204);
      const rotated = await signUp(t.http);
      await t.http
        .post('/auth/refresh')
        .send({ refresh_token: rotated.tokens.refresh_token })
        .expect(200);
      const live = await signUp(t.http);
      const now = t.app.get(Clock).nowSeconds();
      const sid = sessionIdOf(live.tokens.access_token);
      const expired = forgeWithServerKey(live, sid, now - 600, now - 300);
      // The same forgery with live times is active, so it is the expiry that makes the other inactive.
      const current = forgeWithServerKey(live, sid, now, now + 300);
      expect((await introspect(current)).body.active).toBe(true);

      const inactive = {
        'logged-out access token': loggedOut.tokens.access_token,
        'logged-out refresh token': loggedOut.tokens.refresh_token,
        'spent refresh token': rotated.tokens.refresh_token,
        'expired access token': expired,
        garbage: 'garbage',
        'garbage JWT': 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
        'unknown refresh token': 'B'.repeat(43),
        'tampered access token': `${live.tokens.access_token.slice(0, -4)}AAAA`,
      };
      for (const [what, value] of Object.entries(inactive)) {
        const response = await introspect(value);
        expect(response.status, what).toBe(200);
        expect(response.body, what).toStrictEqual({ active: false });
      }
    });

    it('accepts an admin’s Bearer token instead of client authentication', async () => {
      const user = await signUp(t.http);
      const response = await introspect(user.tokens.access_token, bearer(admin.access_token));
      expect(response.status, response.text).toBe(200);
      expect(response.body).toMatchObject({ active: true, sub: user.id });
    });

    it('refuses a plain user’s Bearer token (403) and a client with a wrong secret (401 invalid_client)', async () => {
      const user = await signUp(t.http);
      const asUser = await introspect(user.tokens.access_token, bearer(user.tokens.access_token));
      expect(asUser.status).toBe(403);
      expect(asUser.body.active).toBeUndefined();
      const wrong = await introspect(
        user.tokens.access_token,
        basicAuth(client.client_id, 'wrong-secret'),
      );
      expectOAuthError(wrong, 401, 'invalid_client');
    });
  });

  describe('Swagger UI Authorize (OAuth2 password flow)', () => {
    it('declares the password flow with tokenUrl /auth/token', async () => {
      const doc = await t.http.get('/docs-json').expect(200);
      const schemes = doc.body.components.securitySchemes as Record<
        string,
        { type: string; flows?: Record<string, { tokenUrl?: string }> }
      >;
      const oauth2 = Object.values(schemes).find((scheme) => scheme.type === 'oauth2');
      expect(oauth2?.flows?.password?.tokenUrl).toBe('/auth/token');
    });

    // swagger-ui's authorizePassword: the form, plus with its default "Authorization header"
    // client type `Basic base64(clientId + ":" + clientSecret)`, both left empty.
    it.each<[string, Record<string, string>]>([
      [
        'by default (client fields left empty)',
        {
          Accept: 'application/json, text/plain, */*',
          'X-Requested-With': 'XMLHttpRequest',
          Authorization: `Basic ${Buffer.from(':').toString('base64')}`,
        },
      ],
      ['with the "Request body" client type', {}],
    ])('logs in with the request Swagger UI sends %s', async (_, headers) => {
      const user = await signUp(t.http);

      const response = await t.http
        .post('/auth/token')
        .set('Content-Type', 'application/x-www-form-urlencoded')
        .set(headers)
        .send(swaggerPasswordForm(user));

      expect(response.status, response.text).toBe(200);
      expect(response.body.token_type).toBe('Bearer');
      expect(await meStatus(t.http, response.body.access_token)).toBe(200);
    });

    it('still refuses the client_credentials grant with empty Basic credentials (401 invalid_client)', async () => {
      const response = await token({ grant_type: 'client_credentials' }).set(
        'Authorization',
        `Basic ${Buffer.from(':').toString('base64')}`,
      );
      expectOAuthError(response, 401, 'invalid_client');
    });
  });
});
