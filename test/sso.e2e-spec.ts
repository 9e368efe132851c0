import { createHash } from 'node:crypto';
import * as oidc from 'openid-client';
import type supertest from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { Browser, fetchFromApp, formOf } from './support/browser.js';
import { adminTokens, bearer, decodeJwt, signUp, type SignedInUser } from './support/factories.js';
import { basicAuth } from './support/lifecycle.js';
import { useTestApp } from './support/test-app.js';
import { authorizationRequest, s256 } from './support/oidc.js';

/**
 * Issue 10, points 2 and 4 to 7: the OpenID Connect code flow over HTTP,
 * with openid-client (an OpenID-certified relying party) as the app and a
 * cookie-keeping HTTP client as the browser.
 */

const ISSUER = 'https://auth.test.local';
const SPA_CALLBACK = 'https://spa.example.com/callback';
const SPA_SIGNED_OUT = 'https://spa.example.com/signed-out';
const WEB_CALLBACK = 'https://web.example.com/cb';

interface RegisteredClient {
  client_id: string;
  client_secret?: string;
}

describe('OpenID Connect code flow', () => {
  const t = useTestApp();
  let spa: RegisteredClient;
  let web: RegisteredClient;
  let user: SignedInUser;

  beforeAll(async () => {
    const admin = (await adminTokens(t.http)).access_token;
    const register = async (body: object) =>
      (await t.http.post('/admin/clients').set(bearer(admin)).send(body).expect(201))
        .body as RegisteredClient;
    spa = await register({
      client_name: 'Team SPA',
      redirect_uris: [SPA_CALLBACK],
      post_logout_redirect_uris: [SPA_SIGNED_OUT],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'none',
      first_party: true,
    });
    web = await register({
      client_name: 'Partner Portal',
      redirect_uris: [WEB_CALLBACK],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_post',
      scope: 'openid profile email',
    });
    user = await signUp(t.http);
  });

  /** openid-client configured for a client, fetching from the app in-process. */
  async function relyingParty(client: RegisteredClient): Promise<oidc.Configuration> {
    const auth = client.client_secret ? oidc.ClientSecretPost(client.client_secret) : oidc.None();
    const config = await oidc.discovery(new URL(ISSUER), client.client_id, undefined, auth, {
      [oidc.customFetch]: fetchFromApp(t.app),
    });
    config[oidc.customFetch] = fetchFromApp(t.app);
    return config;
  }

  /** A raw authorization URL for the SPA, with one parameter changed or removed (`null`). */
  function spaUrl(changes: Record<string, string | null> = {}): string {
    const parameters: Record<string, string | null> = {
      response_type: 'code',
      client_id: spa.client_id,
      redirect_uri: SPA_CALLBACK,
      scope: 'openid profile email offline_access',
      state: 'state-123',
      nonce: 'nonce-123',
      code_challenge: s256('v'.repeat(43)),
      code_challenge_method: 'S256',
      ...changes,
    };
    const query = new URLSearchParams(
      Object.entries(parameters).filter((entry): entry is [string, string] => entry[1] !== null),
    );
    return `/oauth/authorize?${query}`;
  }

  /** Fills in and posts the sign-in form the response shows. */
  async function submitSignIn(
    browser: Browser,
    page: supertest.Response,
    password = user.password,
  ) {
    expect(page.status, page.text).toBe(200);
    const form = formOf(page.text);
    expect(form.action).toBe('/auth/sign-in');
    return browser.post(form.action, { ...form.fields, username: user.username, password });
  }

  /** Signs the browser in through the SPA (first party): the code in the answer's Location. */
  async function signedInBrowser(): Promise<{ browser: Browser; location: URL }> {
    const browser = new Browser(t.http);
    const answer = await submitSignIn(browser, await browser.get(spaUrl()));
    expect(answer.status, answer.text).toBe(303);
    return { browser, location: new URL(answer.headers.location) };
  }

  const redeem = (code: string, form: Record<string, string> = {}) =>
    t.http
      .post('/auth/token')
      .type('form')
      .send({
        grant_type: 'authorization_code',
        code,
        redirect_uri: SPA_CALLBACK,
        code_verifier: 'v'.repeat(43),
        client_id: spa.client_id,
        ...form,
      });

  const expectErrorPage = (response: supertest.Response, status = 400) => {
    expect(response.status, response.text).toBe(status);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.headers.location).toBeUndefined();
  };

  const redirectedError = (response: supertest.Response) => {
    expect(response.status, response.text).toBe(302);
    const location = new URL(response.headers.location);
    expect(location.origin + location.pathname).toBe(SPA_CALLBACK);
    return Object.fromEntries(location.searchParams);
  };

  describe('the whole flow, with openid-client as the app', () => {
    it('publishes everything a relying party needs in the discovery document', async () => {
      const response = await t.http.get('/.well-known/openid-configuration').expect(200);

      expect(response.body).toMatchObject({
        issuer: ISSUER,
        authorization_endpoint: `${ISSUER}/oauth/authorize`,
        token_endpoint: `${ISSUER}/auth/token`,
        userinfo_endpoint: `${ISSUER}/oauth/userinfo`,
        end_session_endpoint: `${ISSUER}/oauth/end-session`,
        revocation_endpoint: `${ISSUER}/oauth/revoke`,
        introspection_endpoint: `${ISSUER}/oauth/introspect`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        authorization_response_iss_parameter_supported: true,
        prompt_values_supported: ['none', 'login', 'consent'],
        id_token_signing_alg_values_supported: ['RS256'],
        subject_types_supported: ['public'],
      });
      expect(response.body.grant_types_supported).toEqual(
        expect.arrayContaining(['authorization_code', 'refresh_token']),
      );
      expect(response.body.token_endpoint_auth_methods_supported).toEqual(
        expect.arrayContaining(['client_secret_basic', 'client_secret_post', 'none']),
      );
      expect(response.body.claims_supported).toEqual(
        expect.arrayContaining(['sub', 'auth_time', 'nonce', 'sid', 'at_hash', 'email', 'name']),
      );
    });

    it('signs in on the page, exchanges the code, validates the ID token, reads userinfo and rotates the refresh token', async () => {
      const config = await relyingParty(spa);
      const browser = new Browser(t.http);
      const { url, checks } = authorizationRequest(config, SPA_CALLBACK, {
        scope: 'openid profile email offline_access',
      });

      const page = await browser.get(url);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.text).toContain('Username or email');
      const answer = await submitSignIn(browser, page);
      expect(answer.status, answer.text).toBe(303);
      const sso = browser.lastSetCookie.get('__Host-sso')!;
      expect(sso).toMatch(/HttpOnly/);
      expect(sso).toMatch(/Secure/);
      expect(sso).toMatch(/SameSite=Lax/);
      expect(sso).toMatch(/Path=\//);
      expect(sso).not.toMatch(/Domain=/i);

      const tokens = await oidc.authorizationCodeGrant(config, new URL(answer.headers.location), {
        ...checks,
        idTokenExpected: true,
      });

      const claims = tokens.claims()!;
      expect(claims).toMatchObject({
        iss: ISSUER,
        sub: user.id,
        aud: spa.client_id,
        nonce: checks.expectedNonce,
        email: user.email,
        email_verified: false,
        preferred_username: user.username,
        name: user.username,
      });
      expect(claims.auth_time).toBeTypeOf('number');
      expect(claims.sid).toMatch(/^[0-9a-f-]{36}$/);
      expect(claims.at_hash).toBe(
        createHash('sha256')
          .update(tokens.access_token)
          .digest()
          .subarray(0, 16)
          .toString('base64url'),
      );
      expect(decodeJwt(tokens.id_token!).header).toMatchObject({
        alg: 'RS256',
        kid: expect.any(String),
      });
      expect(decodeJwt(tokens.access_token).payload).toMatchObject({
        sub: user.id,
        client_id: spa.client_id,
        scope: 'openid profile email offline_access',
      });
      expect(tokens.scope).toBe('openid profile email offline_access');

      // An ID token is no access token.
      expect((await t.http.get('/auth/me').set(bearer(tokens.id_token!))).status).toBe(401);
      const info = await oidc.fetchUserInfo(config, tokens.access_token, user.id);
      expect(info).toEqual({
        sub: user.id,
        email: user.email,
        email_verified: false,
        name: user.username,
        preferred_username: user.username,
      });

      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
      expect(decodeJwt(refreshed.access_token).payload).toMatchObject({
        client_id: spa.client_id,
        scope: 'openid profile email offline_access',
        sid: decodeJwt(tokens.access_token).payload.sid,
      });
      await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
        error: 'invalid_grant',
      });

      const sessions = await t.http.get('/auth/sessions').set(bearer(user.tokens.access_token));
      expect(sessions.body).toEqual(
        expect.arrayContaining([expect.objectContaining({ clientId: null, clientName: null })]),
      );
    });

    it('lists the app a session belongs to, and refreshes it only for that app', async () => {
      const { location } = await signedInBrowser();
      const tokens = (await redeem(location.searchParams.get('code')!).expect(200)).body;
      const sid = decodeJwt(tokens.access_token).payload.sid;

      const sessions = await t.http.get('/auth/sessions').set(bearer(user.tokens.access_token));
      expect(sessions.body).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ id: sid, clientId: spa.client_id, clientName: 'Team SPA' }),
        ]),
      );
      const asOtherClient = await t.http.post('/auth/token').type('form').send({
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: web.client_id,
        client_secret: web.client_secret,
      });
      expect(asOtherClient.status).toBe(400);
      const direct = await t.http
        .post('/auth/refresh')
        .send({ refresh_token: tokens.refresh_token });
      expect(direct.status).toBe(401);
      const asItsClient = await t.http.post('/auth/token').type('form').send({
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: spa.client_id,
      });
      expect(asItsClient.status, asItsClient.text).toBe(200);
    });

    it('signs in to a second app through SSO without the form, after the consent it asks once', async () => {
      const { browser } = await signedInBrowser();
      const config = await relyingParty(web);
      const { url, checks } = authorizationRequest(config, WEB_CALLBACK);

      const consentPage = await browser.get(url);
      expect(consentPage.status, consentPage.text).toBe(200);
      expect(consentPage.text).toContain('Partner Portal');
      expect(consentPage.text).not.toContain('name="password"');
      const form = formOf(consentPage.text);
      expect(form.action).toBe('/auth/consent');
      const allowed = await browser.post(form.action, { ...form.fields, decision: 'allow' });
      expect(allowed.status, allowed.text).toBe(303);

      const tokens = await oidc.authorizationCodeGrant(
        config,
        new URL(allowed.headers.location),
        checks,
      );
      expect(tokens.claims()).toMatchObject({ sub: user.id, aud: web.client_id });
      expect(tokens.refresh_token).toBeUndefined();
      // Not a first-party app: its token reads the profile, it carries none of the user's roles.
      expect(decodeJwt(tokens.access_token).payload.roles).toEqual([]);

      const again = authorizationRequest(config, WEB_CALLBACK);
      const silent = await browser.get(again.url);
      expect(silent.status, silent.text).toBe(302);
      expect(new URL(silent.headers.location).searchParams.get('code')).toBeTruthy();

      const consents = await t.http.get('/auth/consents').set(bearer(user.tokens.access_token));
      expect(consents.body).toEqual([
        expect.objectContaining({
          clientId: web.client_id,
          clientName: 'Partner Portal',
          scope: 'openid profile email',
        }),
      ]);
    });

    it('answers prompt=none with login_required before sign-in and after RP-initiated logout, with a code between', async () => {
      const config = await relyingParty(spa);
      const browser = new Browser(t.http);
      const silent = () => authorizationRequest(config, SPA_CALLBACK, { prompt: 'none' });

      const before = redirectedError(await browser.get(silent().url));
      expect(before).toMatchObject({ error: 'login_required', iss: ISSUER });

      const { url, checks } = authorizationRequest(config, SPA_CALLBACK, {
        scope: 'openid offline_access',
      });
      const answer = await submitSignIn(browser, await browser.get(url));
      const tokens = await oidc.authorizationCodeGrant(
        config,
        new URL(answer.headers.location),
        checks,
      );
      const between = await browser.get(silent().url);
      expect(between.status).toBe(302);
      expect(new URL(between.headers.location).searchParams.get('code')).toBeTruthy();

      const logoutUrl = oidc.buildEndSessionUrl(config, {
        id_token_hint: tokens.id_token!,
        post_logout_redirect_uri: SPA_SIGNED_OUT,
        state: 'bye-1',
      });
      const loggedOut = await browser.get(logoutUrl.href);
      expect(loggedOut.status, loggedOut.text).toBe(302);
      expect(loggedOut.headers.location).toBe(`${SPA_SIGNED_OUT}?state=bye-1`);
      expect(browser.cookies.has('__Host-sso')).toBe(false);

      const after = redirectedError(await browser.get(silent().url));
      expect(after.error).toBe('login_required');
      // The sessions issued through the browser's sign-in ended with it.
      await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
        error: 'invalid_grant',
      });
      const me = await t.http.get('/auth/me').set(bearer(tokens.access_token));
      expect(me.status).toBe(401);
    });

    it('shows the signed-out page without a redirect URI, and ends SSO on logout everywhere', async () => {
      const { browser } = await signedInBrowser();
      const page = await browser.get('/oauth/end-session');
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(redirectedError(await browser.get(spaUrl({ prompt: 'none' }))).error).toBe(
        'login_required',
      );

      const other = await signedInBrowser();
      const tokens = (
        await t.http.post('/auth/login').send({ username: user.username, password: user.password })
      ).body;
      await t.http.post('/auth/logout-all').set(bearer(tokens.access_token)).expect(204);
      expect(redirectedError(await other.browser.get(spaUrl({ prompt: 'none' }))).error).toBe(
        'login_required',
      );
      user.tokens = (
        await t.http.post('/auth/login').send({ username: user.username, password: user.password })
      ).body;
    });
  });

  describe('sign-in and consent rules', () => {
    it('shows the form again for prompt=login and for a sign-in older than max_age', async () => {
      const { browser } = await signedInBrowser();

      const login = await browser.get(spaUrl({ prompt: 'login' }));
      expect(login.status).toBe(200);
      expect(login.text).toContain('name="password"');
      const fresh = await browser.get(spaUrl({ max_age: '3600' }));
      expect(fresh.status).toBe(302);

      t.clock().advance(120);
      try {
        const stale = await browser.get(spaUrl({ max_age: '60' }));
        expect(stale.status).toBe(200);
        const answer = await submitSignIn(browser, stale);
        expect(answer.status).toBe(303);
        const tokens = (
          await redeem(new URL(answer.headers.location).searchParams.get('code')!).expect(200)
        ).body;
        const authTime = decodeJwt(tokens.id_token).payload.auth_time as number;
        expect(authTime).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 100);
      } finally {
        t.clock().reset();
      }
    });

    it('answers prompt=none with consent_required while consent is missing, and asks again after it is withdrawn', async () => {
      const other = await signUp(t.http);
      const browser = new Browser(t.http);
      const webUrl = (extra: Record<string, string> = {}) =>
        `/oauth/authorize?${new URLSearchParams({
          response_type: 'code',
          client_id: web.client_id,
          redirect_uri: WEB_CALLBACK,
          scope: 'openid email',
          state: 's',
          nonce: 'n',
          code_challenge: s256('w'.repeat(43)),
          code_challenge_method: 'S256',
          ...extra,
        })}`;
      const signIn = formOf((await browser.get(webUrl()).then((r) => r)).text);
      const consent = await browser.post('/auth/sign-in', {
        ...signIn.fields,
        username: other.username,
        password: other.password,
      });
      expect(consent.status).toBe(200);
      expect(consent.text).toContain('Partner Portal');

      const silent = await browser.get(webUrl({ prompt: 'none' }));
      expect(new URL(silent.headers.location).searchParams.get('error')).toBe('consent_required');

      const denied = await browser.post('/auth/consent', {
        ...formOf(consent.text).fields,
        decision: 'deny',
      });
      expect(denied.status).toBe(303);
      expect(Object.fromEntries(new URL(denied.headers.location).searchParams)).toMatchObject({
        error: 'access_denied',
        state: 's',
        iss: ISSUER,
      });

      const page = await browser.get(webUrl());
      await browser.post('/auth/consent', { ...formOf(page.text).fields, decision: 'allow' });
      expect((await browser.get(webUrl({ prompt: 'none' }))).headers.location).toContain('code=');
      expect((await browser.get(webUrl({ prompt: 'consent' }))).status).toBe(200);

      await t.http
        .delete(`/auth/consents/${web.client_id}`)
        .set(bearer(other.tokens.access_token))
        .expect(204);
      await t.http
        .delete(`/auth/consents/${web.client_id}`)
        .set(bearer(other.tokens.access_token))
        .expect(404);
      const withdrawn = await browser.get(webUrl({ prompt: 'none' }));
      expect(new URL(withdrawn.headers.location).searchParams.get('error')).toBe(
        'consent_required',
      );
    });

    it('re-shows the form with one generic message for a wrong password, and sets no SSO cookie', async () => {
      const browser = new Browser(t.http);
      const answer = await submitSignIn(browser, await browser.get(spaUrl()), 'wrong-password-1');

      expect(answer.status).toBe(401);
      expect(answer.headers['content-type']).toMatch(/^text\/html/);
      expect(answer.text).toContain('role="alert"');
      expect(answer.text).toContain('name="password"');
      expect(browser.cookies.has('__Host-sso')).toBe(false);
      const unknown = new Browser(t.http);
      const page = formOf((await unknown.get(spaUrl())).text);
      const unknownUser = await unknown.post('/auth/sign-in', {
        ...page.fields,
        username: 'nobody-here',
        password: 'x',
      });
      expect(unknownUser.status).toBe(401);
      expect(unknownUser.text.replace(/value="[^"]*"/g, '')).toBe(
        answer.text.replace(/value="[^"]*"/g, ''),
      );
    });
  });

  describe('refusals', () => {
    it('shows an error page, never a redirect, for an unknown client or an unregistered redirect URI', async () => {
      const browser = new Browser(t.http);
      for (const url of [
        spaUrl({ client_id: 'app_AAAAAAAAAAAAAAAA' }),
        spaUrl({ client_id: null }),
        spaUrl({ redirect_uri: null }),
        spaUrl({ redirect_uri: 'https://evil.example.com/callback' }),
        spaUrl({ redirect_uri: `${SPA_CALLBACK}/` }),
        spaUrl({ redirect_uri: `${SPA_CALLBACK}.evil.com` }),
        spaUrl({ redirect_uri: `${SPA_CALLBACK}?next=https://evil.example.com` }),
        spaUrl({ redirect_uri: 'https://SPA.example.com/callback' }),
        spaUrl({ redirect_uri: 'https://spa.example.com/x/../callback' }),
        spaUrl({ redirect_uri: '//evil.example.com/callback' }),
        `${spaUrl()}&redirect_uri=https://evil.example.com/callback`,
      ]) {
        expectErrorPage(await browser.get(url));
      }
    });

    it('redirects other errors to the app with error, error_description, state and iss', async () => {
      const browser = new Browser(t.http);
      const cases: [Record<string, string | null>, string][] = [
        [{ code_challenge: null }, 'invalid_request'],
        [{ code_challenge_method: 'plain' }, 'invalid_request'],
        [{ code_challenge_method: null }, 'invalid_request'],
        [{ nonce: null }, 'invalid_request'],
        [{ scope: 'profile email' }, 'invalid_scope'],
        [{ scope: 'openid admin' }, 'invalid_scope'],
        [{ response_type: 'token' }, 'unsupported_response_type'],
        [{ prompt: 'select_account' }, 'invalid_request'],
        [{ max_age: '-1' }, 'invalid_request'],
      ];
      for (const [changes, error] of cases) {
        const parameters = redirectedError(await browser.get(spaUrl(changes)));
        expect(parameters, JSON.stringify(changes)).toMatchObject({
          error,
          error_description: expect.any(String),
          state: 'state-123',
          iss: ISSUER,
        });
      }
    });

    it('returns the state exactly as sent, so that a forged state is the app to detect', async () => {
      const { browser } = await signedInBrowser();
      const state = 'forged?&=state%20"<>';
      const answer = await browser.get(spaUrl({ state }));
      expect(new URL(answer.headers.location).searchParams.get('state')).toBe(state);

      const config = await relyingParty(spa);
      const { url, checks } = authorizationRequest(config, SPA_CALLBACK);
      const callback = new URL((await browser.get(url)).headers.location);
      await expect(
        oidc.authorizationCodeGrant(config, callback, {
          ...checks,
          expectedState: 'another-state',
        }),
      ).rejects.toMatchObject({
        code: 'OAUTH_INVALID_RESPONSE',
        cause: { message: expect.stringMatching(/state/) },
      });
    });

    it('refuses a wrong verifier, another redirect URI or another client, and the code still works for its own', async () => {
      const { location } = await signedInBrowser();
      const code = location.searchParams.get('code')!;

      for (const form of <Record<string, string>[]>[
        { code_verifier: 'x'.repeat(43) },
        { code_verifier: 'short' },
        { code_verifier: s256('v'.repeat(43)) },
        { redirect_uri: 'https://spa.example.com/other' },
      ]) {
        const response = await redeem(code, form);
        expect(response.status, JSON.stringify(form)).toBe(400);
        expect(response.body.error).toBe('invalid_grant');
      }
      const asWeb = await redeem(code, {
        client_id: web.client_id,
        client_secret: web.client_secret!,
      });
      expect(asWeb.body.error).toBe('invalid_grant');
      for (const missing of ['code_verifier', 'redirect_uri']) {
        const response = await redeem(code, { [missing]: '' });
        expect(response.status).toBe(400);
      }
      await redeem(code).expect(200);
    });

    it('refuses a replayed code and revokes the session its first use started', async () => {
      const { location } = await signedInBrowser();
      const code = location.searchParams.get('code')!;
      const first = (await redeem(code).expect(200)).body;

      const replay = await redeem(code);

      expect(replay.status).toBe(400);
      expect(replay.body.error).toBe('invalid_grant');
      const refresh = await t.http.post('/auth/token').type('form').send({
        grant_type: 'refresh_token',
        refresh_token: first.refresh_token,
        client_id: spa.client_id,
      });
      expect(refresh.body.error).toBe('invalid_grant');
      expect((await t.http.get('/auth/me').set(bearer(first.access_token))).status).toBe(401);
    });

    it('gives two concurrent redemptions of one code one success, whose session is then revoked', async () => {
      const { location } = await signedInBrowser();
      const code = location.searchParams.get('code')!;

      const answers = await Promise.all([redeem(code), redeem(code), redeem(code)]);

      const succeeded = answers.filter((answer) => answer.status === 200);
      expect(succeeded).toHaveLength(1);
      expect(answers.filter((answer) => answer.body.error === 'invalid_grant')).toHaveLength(2);
      const refresh = await t.http.post('/auth/token').type('form').send({
        grant_type: 'refresh_token',
        refresh_token: succeeded[0].body.refresh_token,
        client_id: spa.client_id,
      });
      expect(refresh.body.error).toBe('invalid_grant');
    });

    it('refuses a code after 60 seconds', async () => {
      const { location } = await signedInBrowser();
      const code = location.searchParams.get('code')!;

      t.clock().advance(61);
      try {
        const response = await redeem(code);
        expect(response.status).toBe(400);
        expect(response.body.error).toBe('invalid_grant');
      } finally {
        t.clock().reset();
      }
    });

    it('refuses a public client that presents a secret and a confidential client that presents none', async () => {
      const { location } = await signedInBrowser();
      const code = location.searchParams.get('code')!;

      const withSecret = await redeem(code, { client_secret: 'made-up-secret' });
      expect(withSecret.status).toBe(401);
      expect(withSecret.body.error).toBe('invalid_client');
      const withBasic = await t.http
        .post('/auth/token')
        .set(basicAuth(spa.client_id, 'made-up-secret'))
        .type('form')
        .send({
          grant_type: 'authorization_code',
          code,
          redirect_uri: SPA_CALLBACK,
          code_verifier: 'v'.repeat(43),
        });
      expect(withBasic.status).toBe(401);

      const withoutSecret = await t.http
        .post('/auth/token')
        .type('form')
        .send({
          grant_type: 'authorization_code',
          code,
          redirect_uri: WEB_CALLBACK,
          code_verifier: 'v'.repeat(43),
          client_id: web.client_id,
        });
      expect(withoutSecret.status).toBe(401);
      expect(withoutSecret.body.error).toBe('invalid_client');
      await redeem(code).expect(200);
    });

    it('refuses the sign-in and consent forms without this browser’s CSRF token', async () => {
      const browser = new Browser(t.http);
      const page = formOf((await browser.get(spaUrl())).text);
      const credentials = { username: user.username, password: user.password };

      const missing = await browser.post('/auth/sign-in', {
        auth_request: page.fields.auth_request,
        ...credentials,
      });
      expectErrorPage(missing, 403);
      const attacker = new Browser(t.http);
      const attackerPage = formOf((await attacker.get(spaUrl())).text);
      const foreign = await browser.post('/auth/sign-in', {
        ...page.fields,
        csrf_token: attackerPage.fields.csrf_token,
        ...credentials,
      });
      expectErrorPage(foreign, 403);
      const noCookie = await t.http
        .post('/auth/sign-in')
        .type('form')
        .send({ ...page.fields, ...credentials });
      expectErrorPage(noCookie, 403);
      expect(browser.cookies.has('__Host-sso')).toBe(false);

      const tampered = await browser.post('/auth/sign-in', {
        ...page.fields,
        auth_request: page.fields.auth_request.replace(/.(?=\.)/, (c) => (c === 'A' ? 'B' : 'A')),
        ...credentials,
      });
      expectErrorPage(tampered);

      const consentBrowser = new Browser(t.http);
      const other = await signUp(t.http);
      const signIn = formOf(
        (
          await consentBrowser.get(
            spaUrl({ client_id: web.client_id, redirect_uri: WEB_CALLBACK, scope: 'openid' }),
          )
        ).text,
      );
      const consent = await consentBrowser.post('/auth/sign-in', {
        ...signIn.fields,
        username: other.username,
        password: other.password,
      });
      const consentForm = formOf(consent.text);
      expectErrorPage(
        await consentBrowser.post('/auth/consent', {
          ...consentForm.fields,
          csrf_token: attackerPage.fields.csrf_token,
          decision: 'allow',
        }),
        403,
      );
      // A consent form belongs to the browser sign-in it was shown to.
      const elsewhere = await signedInBrowser();
      const stolen = await elsewhere.browser.post('/auth/consent', {
        ...consentForm.fields,
        csrf_token: formOf((await elsewhere.browser.get(spaUrl({ prompt: 'login' }))).text).fields
          .csrf_token,
        decision: 'allow',
      });
      expectErrorPage(stolen);
    });

    it('refuses an unregistered post-logout redirect URI or a forged hint on the error page', async () => {
      const { browser } = await signedInBrowser();
      for (const query of [
        `client_id=${spa.client_id}&post_logout_redirect_uri=${encodeURIComponent('https://evil.example.com/')}`,
        `post_logout_redirect_uri=${encodeURIComponent(SPA_SIGNED_OUT)}`,
        `client_id=${spa.client_id}&post_logout_redirect_uri=${encodeURIComponent(`${SPA_SIGNED_OUT}/`)}`,
        `id_token_hint=a.b.c&post_logout_redirect_uri=${encodeURIComponent(SPA_SIGNED_OUT)}`,
      ]) {
        expectErrorPage(await browser.get(`/oauth/end-session?${query}`));
      }
      expect(browser.cookies.has('__Host-sso')).toBe(true);
    });

    it('answers userinfo without a token with a Bearer challenge, and a token without openid with insufficient_scope', async () => {
      const anonymous = await t.http.get('/oauth/userinfo');
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);

      const direct = await t.http.post('/oauth/userinfo').set(bearer(user.tokens.access_token));
      expect(direct.status).toBe(403);
      expect(direct.headers['www-authenticate']).toContain('error="insufficient_scope"');
    });
  });

  it('keeps random, single-use codes of 256 bits', async () => {
    const codes = new Set<string>();
    for (let i = 0; i < 3; i += 1) {
      const { location } = await signedInBrowser();
      codes.add(location.searchParams.get('code')!);
    }
    expect(codes.size).toBe(3);
    for (const code of codes) expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
