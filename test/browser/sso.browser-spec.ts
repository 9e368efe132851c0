import { createServer, type Server } from 'node:http';
import * as oidc from 'openid-client';
import type { Browser, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminTokens, bearer, register } from '../support/factories.js';
import { expectStrictPages, launchChromium, watchedPage } from '../support/chromium.js';
import { freePort } from '../support/net.js';
import { useTestApp } from '../support/test-app.js';
import { authorizationRequest } from '../support/oidc.js';

interface RegisteredClient {
  client_id: string;
  client_secret?: string;
}

/**
 * Issue 10, "Done when": the whole code flow with openid-client as the app
 * and Chromium as the user, over the real HTTP server. The apps live on
 * loopback ports nobody listens on: Chromium's requests to them are answered
 * by the test (`page.route`), which hands the callback URL to openid-client.
 */
describe('single sign-on in a browser', () => {
  let port: number;
  let appOrigin: string;
  beforeAll(async () => {
    port = await freePort();
    appOrigin = `http://127.0.0.1:${await freePort()}`;
  });
  const t = useTestApp({ env: () => ({ JWT_ISSUER: `http://127.0.0.1:${port}` }) });
  let issuer: string;
  let browser: Browser;
  let page: Page;
  let user: { username: string; password: string; email: string; id: string };
  let spa: RegisteredClient;
  let portal: RegisteredClient;
  let partner: RegisteredClient;
  let consoleErrors: string[] = [];
  /** Every HTML page of ours the browser loaded, with its headers. */
  let pages: Response[] = [];

  beforeAll(async () => {
    issuer = `http://127.0.0.1:${port}`;
    const admin = (await adminTokens(t.http)).access_token;
    const registerClient = async (body: object) =>
      (await t.http.post('/admin/clients').set(bearer(admin)).send(body).expect(201))
        .body as RegisteredClient;
    spa = await registerClient({
      client_name: 'Team Board',
      redirect_uris: [`${appOrigin}/spa/callback`],
      post_logout_redirect_uris: [`${appOrigin}/spa/signed-out`],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'none',
      scope: 'openid profile email offline_access',
      first_party: true,
    });
    portal = await registerClient({
      client_name: 'Billing Portal',
      redirect_uris: [`${appOrigin}/portal/cb`],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'openid profile email',
      first_party: true,
    });
    partner = await registerClient({
      client_name: 'Partner Notes',
      redirect_uris: [`${appOrigin}/partner/cb`],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_post',
      scope: 'openid email',
    });
    user = await register(t.http);
    // After the last t.http call: SuperTest closes a server it once started after each request.
    await t.app.listen(port, '127.0.0.1');

    browser = await launchChromium();
    ({ page, consoleErrors, htmlResponses: pages } = await watchedPage(browser, issuer));
  });

  // The apps' pages: whatever the browser is sent to lands here, and the test reads the URL.
  let apps: Server;
  beforeAll(async () => {
    apps = createServer((_, response) =>
      response.writeHead(200, { 'content-type': 'text/plain' }).end('app'),
    );
    await new Promise<void>((resolve) =>
      apps.listen(Number(new URL(appOrigin).port), '127.0.0.1', resolve),
    );
  });

  afterAll(async () => {
    await browser?.close();
    apps?.closeAllConnections();
    await new Promise((resolve) => apps?.close(resolve));
  });

  async function relyingParty(client: RegisteredClient): Promise<oidc.Configuration> {
    const auth = client.client_secret ? oidc.ClientSecretBasic(client.client_secret) : oidc.None();
    // Loopback HTTP in this test; production issuers are https.
    return oidc.discovery(new URL(issuer), client.client_id, undefined, auth, {
      execute: [oidc.allowInsecureRequests],
    });
  }

  /** Sends the browser to `url` and resolves with the app URL it ends up on. */
  async function landOnApp(url: URL | string, act?: () => Promise<void>): Promise<URL> {
    await page.goto(url.toString());
    if (act) await act();
    // After the page of ours (if any) is done with: the last test may have left the browser on an app.
    await page.waitForURL((target) => target.origin === appOrigin);
    return new URL(page.url());
  }

  /** Keyboard only: the username field has the focus, Tab to the password, Enter submits. */
  async function signInByKeyboard(): Promise<void> {
    await expect.poll(() => page.title()).toMatch(/^Sign in · /);
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe(
      'username',
    );
    await page.keyboard.type(user.username);
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe(
      'password',
    );
    await page.keyboard.type(user.password);
    await page.keyboard.press('Enter');
  }

  let spaConfig: oidc.Configuration;
  let spaTokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;

  it('signs in on the hosted page (keyboard only) and the app gets validated tokens', async () => {
    spaConfig = await relyingParty(spa);
    expect(spaConfig.serverMetadata().issuer).toBe(issuer);
    const request = authorizationRequest(spaConfig, `${appOrigin}/spa/callback`, {
      scope: 'openid profile email offline_access',
    });

    const callback = await landOnApp(request.url, signInByKeyboard);
    expect(callback.searchParams.get('iss')).toBe(issuer);
    spaTokens = await oidc.authorizationCodeGrant(spaConfig, callback, request.checks);

    const claims = spaTokens.claims()!;
    expect(claims).toMatchObject({ iss: issuer, sub: user.id, aud: spa.client_id });
    expect(claims.email).toBe(user.email);
    expect(claims.auth_time).toEqual(expect.any(Number));
    const info = await oidc.fetchUserInfo(spaConfig, spaTokens.access_token, user.id);
    expect(info).toMatchObject({ sub: user.id, email: user.email });
  });

  it('rotates the refresh token', async () => {
    const refreshed = await oidc.refreshTokenGrant(spaConfig, spaTokens.refresh_token!);

    expect(refreshed.refresh_token).toEqual(expect.any(String));
    expect(refreshed.refresh_token).not.toBe(spaTokens.refresh_token);
    await expect(oidc.refreshTokenGrant(spaConfig, spaTokens.refresh_token!)).rejects.toThrow();
  });

  it('signs the user in to a second app through the SSO session, without the form', async () => {
    const config = await relyingParty(portal);
    const request = authorizationRequest(config, `${appOrigin}/portal/cb`);
    const seen = pages.length;

    const callback = await landOnApp(request.url);
    const tokens = await oidc.authorizationCodeGrant(config, callback, request.checks);

    expect(tokens.claims()).toMatchObject({ sub: user.id, aud: portal.client_id });
    expect(pages.length).toBe(seen);
  });

  it('asks for consent for an app that is not first party, answered with the keyboard', async () => {
    const config = await oidc.discovery(
      new URL(issuer),
      partner.client_id,
      undefined,
      oidc.ClientSecretPost(partner.client_secret!),
      { execute: [oidc.allowInsecureRequests] },
    );
    const request = authorizationRequest(config, `${appOrigin}/partner/cb`, {
      scope: 'openid email',
    });

    const callback = await landOnApp(request.url, async () => {
      await expect.poll(() => page.title()).toMatch(/^Allow access · /);
      expect(await page.locator('h1').textContent()).toBe(
        'Partner Notes wants to access your account',
      );
      expect(await page.locator('li').allTextContents()).toEqual([
        'Know that it is you when you sign in',
        'See your email address and whether it is verified',
      ]);
      await page.keyboard.press('Tab');
      expect(
        await page.evaluate('document.activeElement && document.activeElement.textContent'),
      ).toBe('Allow');
      await page.keyboard.press('Enter');
    });
    const tokens = await oidc.authorizationCodeGrant(config, callback, request.checks);

    expect(tokens.claims()).toMatchObject({ sub: user.id, aud: partner.client_id });
  });

  let idToken: string;

  it('answers prompt=none with a code while signed in', async () => {
    const request = authorizationRequest(spaConfig, `${appOrigin}/spa/callback`, {
      prompt: 'none',
    });

    const callback = await landOnApp(request.url);
    const tokens = await oidc.authorizationCodeGrant(spaConfig, callback, request.checks);
    idToken = tokens.id_token!;

    expect(tokens.claims()!.sub).toBe(user.id);
  });

  it('logs out at the app’s request, back to its registered address with its state', async () => {
    const url = oidc.buildEndSessionUrl(spaConfig, {
      id_token_hint: idToken,
      post_logout_redirect_uri: `${appOrigin}/spa/signed-out`,
      state: 'bye-42',
    });

    const landed = await landOnApp(url);

    expect(landed.origin + landed.pathname).toBe(`${appOrigin}/spa/signed-out`);
    expect(landed.searchParams.get('state')).toBe('bye-42');
    const cookies = await page.context().cookies(issuer);
    expect(cookies.map((cookie) => cookie.name)).not.toContain('__Host-sso');
  });

  it('answers prompt=none with login_required after the logout', async () => {
    const request = authorizationRequest(spaConfig, `${appOrigin}/spa/callback`, {
      prompt: 'none',
    });

    const callback = await landOnApp(request.url);

    expect(callback.searchParams.get('error')).toBe('login_required');
    expect(callback.searchParams.get('state')).toBe(request.checks.expectedState);
    await expect(
      oidc.authorizationCodeGrant(spaConfig, callback, request.checks),
    ).rejects.toThrow();
  });

  it('shows the signed-out page when the app names no return address', async () => {
    await page.goto(`${issuer}/oauth/end-session?client_id=${spa.client_id}`);

    await expect.poll(() => page.locator('h1').textContent()).toBe('You are signed out');
  });

  it('served every page under its own CSP, no-store, and nothing was refused or broken', () => {
    expect(pages.length).toBeGreaterThanOrEqual(2);
    expectStrictPages({ page, consoleErrors, htmlResponses: pages });
  });
});
