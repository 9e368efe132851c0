import { describe, expect, it } from 'vitest';
import { adminTokens, bearer } from './support/factories.js';
import { useTestApp } from './support/test-app.js';

const DOCS_CLIENT = 'app_api-docs-console';

describe('the API documentation’s built-in client', () => {
  const t = useTestApp({ env: { JWT_ISSUER: 'https://auth-one.example.com' } });

  const docsClients = async () => {
    const admin = (await adminTokens(t.http)).access_token;
    const list = await t.http.get('/admin/clients').set(bearer(admin)).expect(200);
    return (list.body as { client_id: string }[]).filter((c) => c.client_id === DOCS_CLIENT);
  };

  it('is registered at start-up: public, first party, redirecting only to Swagger UI on the issuer', async () => {
    expect(await docsClients()).toEqual([
      expect.objectContaining({
        client_id: DOCS_CLIENT,
        redirect_uris: ['https://auth-one.example.com/docs/oauth2-redirect.html'],
        post_logout_redirect_uris: [],
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'none',
        first_party: true,
      }),
    ]);
  });

  it('is written again at each start, once, following the issuer', async () => {
    await t.restart({ JWT_ISSUER: 'https://auth-two.example.com' });

    const clients = await docsClients();
    expect(clients).toHaveLength(1);
    expect(clients[0]).toMatchObject({
      redirect_uris: ['https://auth-two.example.com/docs/oauth2-redirect.html'],
    });
  });

  it('cannot be sent anywhere else: another redirect URI is shown on the error page', async () => {
    const response = await t.http.get('/oauth/authorize').query({
      response_type: 'code',
      client_id: DOCS_CLIENT,
      redirect_uri: 'https://evil.example/docs/oauth2-redirect.html',
      scope: 'openid',
      state: 's',
      nonce: 'n',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCQaoeYhI8bZ2o-3fEu2J9x0',
      code_challenge_method: 'S256',
    });

    expect(response.status).toBe(400);
    expect(response.headers.location).toBeUndefined();
    expect(response.text).toContain('The redirect URI is not registered for this application.');
  });
});
