import type supertest from 'supertest';
import { DataSource } from 'typeorm';
import { AddClientMetadata1795998666063 } from '../migrations/1795998666063-AddClientMetadata.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { OAuthClientsService } from '../src/clients/oauth-clients.service.js';
import {
  adminTokens,
  bearer,
  expectProblem,
  invalidFields,
  signUp,
  type Tokens,
} from './support/factories.js';
import { basicAuth, refreshStatus } from './support/lifecycle.js';
import { useTestApp } from './support/test-app.js';

/** Clients registered with RFC 7591 metadata, and how each authenticates at the token endpoint. */

interface RegisteredClient {
  client_id: string;
  client_secret?: string;
  client_name: string;
  [field: string]: unknown;
}

/** An RFC 6749 §5.2 error answer. */
function expectOAuthError(response: supertest.Response, status: number, error: string): void {
  expect(response.status, response.text).toBe(status);
  expect(response.body.error).toBe(error);
  if (error === 'invalid_client') expect(response.headers['www-authenticate']).toMatch(/^Basic/);
}

const SPA = {
  client_name: 'Web app',
  redirect_uris: ['https://app.example.com/callback'],
  post_logout_redirect_uris: ['https://app.example.com/signed-out'],
  grant_types: ['authorization_code', 'refresh_token'],
  token_endpoint_auth_method: 'none',
  first_party: true,
};

describe('client registration (RFC 7591 metadata)', () => {
  const t = useTestApp();
  let admin: Tokens;

  const register = (body: object) =>
    t.http.post('/admin/clients').set(bearer(admin.access_token)).send(body);
  const registered = async (body: object): Promise<RegisteredClient> => {
    const response = await register(body);
    expect(response.status, response.text).toBe(201);
    return response.body as RegisteredClient;
  };
  const listed = async (): Promise<RegisteredClient[]> =>
    (await t.http.get('/admin/clients').set(bearer(admin.access_token)).expect(200)).body;
  const token = (form: Record<string, string>) =>
    t.http.post('/auth/token').type('form').send(form);

  beforeAll(async () => {
    admin = await adminTokens(t.http);
  });

  describe('registration', () => {
    it('registers a public SPA: RFC 7591 names back, no secret', async () => {
      const before = Math.floor(Date.now() / 1000) - 5;

      const client = await registered(SPA);

      expect(client).toMatchObject({
        client_id: expect.stringMatching(/^app_[A-Za-z0-9_-]{16}$/),
        client_name: 'Web app',
        redirect_uris: SPA.redirect_uris,
        post_logout_redirect_uris: SPA.post_logout_redirect_uris,
        grant_types: SPA.grant_types,
        token_endpoint_auth_method: 'none',
        scope: 'openid profile email offline_access',
        first_party: true,
        client_id_issued_at: expect.any(Number),
      });
      expect(client.client_id_issued_at).toBeGreaterThanOrEqual(before);
      expect(Object.keys(client).filter((key) => /secret/.test(key))).toEqual([]);
    });

    it('registers a mobile app with a reverse-domain scheme and a loopback URI', async () => {
      const uris = [
        'com.example.app:/oauth2redirect',
        'http://127.0.0.1/cb',
        'http://[::1]:8400/cb',
      ];

      const client = await registered({
        client_name: 'Mobile',
        redirect_uris: uris,
        token_endpoint_auth_method: 'none',
      });

      expect(client).toMatchObject({ redirect_uris: uris, grant_types: ['authorization_code'] });
    });

    it('shows a confidential web app its secret once, and stores the URIs exactly', async () => {
      const uri = 'https://Web.Example.com:8443/a/../cb?x=1';

      const client = await registered({
        client_name: 'Server app',
        redirect_uris: [uri],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_post',
        scope: 'openid email',
      });

      expect(client.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(client.client_secret_expires_at).toBe(0);
      const entry = (await listed()).find((c) => c.client_id === client.client_id);
      expect(entry).toMatchObject({ redirect_uris: [uri], scope: 'openid email' });
      expect(JSON.stringify(await listed())).not.toContain(client.client_secret);
    });

    it('keeps `name` as an alias: a service client as before, named in both spellings', async () => {
      const client = await registered({ name: 'reports', roles: ['admin'] });

      expect(client).toMatchObject({
        client_id: expect.stringMatching(/^svc_/),
        client_name: 'reports',
        name: 'reports',
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: [],
        scope: '',
        first_party: false,
        roles: ['admin'],
        client_secret: expect.any(String),
      });
      expect((await registered({ name: 'same', client_name: 'same' })).client_name).toBe('same');
    });

    it('lists every client with its metadata and without any secret or hash', async () => {
      const spa = await registered({ ...SPA, client_name: 'listed-spa' });
      const service = await registered({ client_name: 'listed-service' });

      const list = await listed();

      expect(list.find((c) => c.client_id === spa.client_id)).toMatchObject({
        client_name: 'listed-spa',
        redirect_uris: SPA.redirect_uris,
        token_endpoint_auth_method: 'none',
      });
      expect(list.find((c) => c.client_id === service.client_id)).toMatchObject({
        grant_types: ['client_credentials'],
      });
      expect(list.flatMap(Object.keys).filter((key) => /secret|hash/i.test(key))).toEqual([]);
      expect(JSON.stringify(list)).not.toContain(service.client_secret);
    });
  });

  describe('refusals: 400 naming the field, nothing stored', () => {
    const app = (overrides: object) => ({ ...SPA, ...overrides });
    it.each<[string, object, string]>([
      ['a javascript: URI', app({ redirect_uris: ['javascript:alert(1)'] }), 'redirect_uris'],
      ['a data: URI', app({ redirect_uris: ['data:text/html,x'] }), 'redirect_uris'],
      [
        'plain http to another host',
        app({ redirect_uris: ['http://evil.example/cb'] }),
        'redirect_uris',
      ],
      ['http on localhost', app({ redirect_uris: ['http://localhost:8080/cb'] }), 'redirect_uris'],
      ['a fragment', app({ redirect_uris: ['https://app.example.com/cb#x'] }), 'redirect_uris'],
      ['a wildcard', app({ redirect_uris: ['https://*.example.com/cb'] }), 'redirect_uris'],
      ['a relative URI', app({ redirect_uris: ['/callback'] }), 'redirect_uris'],
      ['a scheme-relative URI', app({ redirect_uris: ['//evil.example/cb'] }), 'redirect_uris'],
      ['user info', app({ redirect_uris: ['https://a@evil.example/cb'] }), 'redirect_uris'],
      [
        'a custom scheme that is no reverse domain',
        app({ redirect_uris: ['myapp:/cb'] }),
        'redirect_uris',
      ],
      [
        'a post-logout URI on http',
        app({ post_logout_redirect_uris: ['http://evil.example/'] }),
        'post_logout_redirect_uris',
      ],
      [
        'redirect_uris that are no list',
        app({ redirect_uris: 'https://app.example.com/cb' }),
        'redirect_uris',
      ],
      ['authorization_code without redirect URIs', app({ redirect_uris: [] }), 'redirect_uris'],
      [
        'redirect URIs on a service',
        {
          client_name: 'svc',
          redirect_uris: ['https://a.example/cb'],
          grant_types: ['client_credentials'],
        },
        'redirect_uris',
      ],
      [
        'refresh_token without authorization_code',
        { client_name: 'svc', grant_types: ['client_credentials', 'refresh_token'] },
        'grant_types',
      ],
      [
        'an unknown grant type',
        app({ grant_types: ['authorization_code', 'implicit'] }),
        'grant_types',
      ],
      ['the password grant', app({ grant_types: ['password'] }), 'grant_types'],
      ['no grant type', app({ grant_types: [] }), 'grant_types'],
      [
        'a public client with client_credentials',
        { client_name: 'svc', token_endpoint_auth_method: 'none' },
        'token_endpoint_auth_method',
      ],
      [
        'an unknown auth method',
        app({ token_endpoint_auth_method: 'private_key_jwt' }),
        'token_endpoint_auth_method',
      ],
      ['an unknown scope', app({ scope: 'openid admin' }), 'scope'],
      ['a scope without openid', app({ scope: 'email' }), 'scope'],
      ['roles on an app', app({ roles: ['admin'] }), 'roles'],
      ['first_party that is no boolean', app({ first_party: 'yes' }), 'first_party'],
      ['client_name and name that differ', app({ name: 'Other' }), 'client_name'],
      ['no name at all', { grant_types: ['client_credentials'] }, 'client_name'],
    ])('refuses %s', async (_, body, field) => {
      const name = `refused-${Math.random().toString(36).slice(2)}`;
      const named = 'client_name' in body ? { ...body, client_name: name } : body;

      const response = await register(named);

      expectProblem(response, 400);
      expect(invalidFields(response)).toContain(field);
      expect((await listed()).map((c) => c.client_name)).not.toContain(name);
    });

    it('registers nothing through the service the CLI uses either', async () => {
      await expect(
        t.app.get(OAuthClientsService).create({
          name: 'cli-evil',
          redirect_uris: ['http://evil.example/cb'],
          grant_types: ['authorization_code'],
        }),
      ).rejects.toMatchObject({ status: 400 });
      expect((await listed()).map((c) => c.client_name)).not.toContain('cli-evil');
    });
  });

  describe('token endpoint: each client authenticates as it registered', () => {
    let basic: RegisteredClient;
    let post: RegisteredClient;
    let spa: RegisteredClient;
    let webApp: RegisteredClient;

    beforeAll(async () => {
      basic = await registered({ client_name: 'basic-service' });
      post = await registered({
        client_name: 'post-service',
        token_endpoint_auth_method: 'client_secret_post',
      });
      spa = await registered(SPA);
      webApp = await registered({
        client_name: 'web-app',
        redirect_uris: ['https://web.example.com/cb'],
        grant_types: ['authorization_code', 'refresh_token'],
      });
    });

    const viaBasic = (client: RegisteredClient, form: Record<string, string>, secret?: string) =>
      token(form).set(basicAuth(client.client_id, secret ?? client.client_secret ?? ''));
    const viaBody = (client: RegisteredClient, form: Record<string, string>, secret?: string) =>
      token({
        ...form,
        client_id: client.client_id,
        ...(secret !== undefined ? { client_secret: secret } : {}),
      });
    const credentials = { grant_type: 'client_credentials' };

    it('accepts each confidential client by its own method', async () => {
      expect((await viaBasic(basic, credentials)).status).toBe(200);
      expect((await viaBody(post, credentials, post.client_secret)).status).toBe(200);
    });

    it('refuses a client_secret_basic client that sends its secret in the body', async () => {
      expectOAuthError(
        await viaBody(basic, credentials, basic.client_secret),
        401,
        'invalid_client',
      );
    });

    it('refuses a client_secret_post client that uses HTTP Basic', async () => {
      expectOAuthError(await viaBasic(post, credentials), 401, 'invalid_client');
    });

    it('refuses a confidential client that sends no secret', async () => {
      expectOAuthError(await viaBody(basic, credentials), 401, 'invalid_client');
      expectOAuthError(await viaBody(post, credentials), 401, 'invalid_client');
    });

    it('refuses a public client that presents a secret, in the body or with Basic', async () => {
      const user = await signUp(t.http);
      const refresh = { grant_type: 'refresh_token', refresh_token: user.tokens.refresh_token };
      expectOAuthError(await viaBody(spa, refresh, 'made-up'), 401, 'invalid_client');
      expectOAuthError(await viaBody(spa, refresh, ''), 401, 'invalid_client');
      expectOAuthError(await viaBasic(spa, refresh, 'made-up'), 401, 'invalid_client');
      // Refused before the grant: the refresh token was not spent.
      expect(await refreshStatus(t.http, user.tokens.refresh_token)).toBe(200);
    });

    it('accepts a public client by its client_id alone for a grant it registered', async () => {
      const user = await signUp(t.http);
      const response = await viaBody(spa, {
        grant_type: 'refresh_token',
        refresh_token: user.tokens.refresh_token,
      });
      // Authenticated (no invalid_client), then refused: this session was not issued to the SPA
      // but to a direct sign-in. The SPA refreshing its own session: test/sso.e2e-spec.ts.
      expectOAuthError(response, 400, 'invalid_grant');
      expect(await refreshStatus(t.http, user.tokens.refresh_token)).toBe(200);
    });

    it('refuses a grant the client did not register with 400 unauthorized_client', async () => {
      const user = await signUp(t.http);
      const refresh = { grant_type: 'refresh_token', refresh_token: user.tokens.refresh_token };
      const password = { grant_type: 'password', username: user.username, password: user.password };
      expectOAuthError(await viaBody(spa, credentials), 400, 'unauthorized_client');
      expectOAuthError(await viaBasic(webApp, credentials), 400, 'unauthorized_client');
      expectOAuthError(await viaBasic(basic, refresh), 400, 'unauthorized_client');
      expectOAuthError(await viaBasic(basic, password), 400, 'unauthorized_client');
      expectOAuthError(await viaBody(spa, password), 400, 'unauthorized_client');
      // The refused refresh did not spend the token.
      expect(await refreshStatus(t.http, user.tokens.refresh_token)).toBe(200);
    });

    it('lets no public client introspect tokens', async () => {
      const user = await signUp(t.http);
      const response = await t.http
        .post('/oauth/introspect')
        .type('form')
        .send({ token: user.tokens.access_token, client_id: spa.client_id });
      expectOAuthError(response, 401, 'invalid_client');
    });
  });
});

describe('clients registered before client metadata existed', () => {
  const t = useTestApp();

  it('stay confidential client_credentials clients after the migration', async () => {
    const migration = new AddClientMetadata1795998666063();
    const queryRunner = t.app.get(DataSource).createQueryRunner();
    await migration.down(queryRunner);
    const secret = 'legacy-secret-0123456789abcdefghijklmnopq';
    await t.sql(
      `INSERT INTO oauth_clients (client_id, name, secret_hash, roles)
       VALUES ($1, 'legacy', sha256($2::bytea), '{admin}')`,
      ['svc_legacy0000000001', secret],
    );
    await migration.up(queryRunner);
    await queryRunner.release();

    const response = await t.http
      .post('/auth/token')
      .type('form')
      .set(basicAuth('svc_legacy0000000001', secret))
      .send({ grant_type: 'client_credentials' });

    expect(response.status, response.text).toBe(200);
    const admin = await adminTokens(t.http);
    const list = await t.http.get('/admin/clients').set(bearer(admin.access_token)).expect(200);
    expect(list.body).toContainEqual(
      expect.objectContaining({
        client_id: 'svc_legacy0000000001',
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_basic',
        roles: ['admin'],
      }),
    );
  });
});
