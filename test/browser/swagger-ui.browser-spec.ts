import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { register, type NewUser } from '../support/factories.js';
import { launchChromium } from '../support/chromium.js';
import { freePort } from '../support/net.js';
import { useTestApp } from '../support/test-app.js';

/**
 * What a person does in Swagger UI: open /docs, sign in through the
 * Authorize dialog (on the sign-in page, through the authorization code flow
 * with PKCE, or with the OAuth2 password flow against /auth/token), then
 * call a protected operation with "Try it out". The server's issuer is its
 * own address, where the docs client's redirect URI points.
 */
describe('Swagger UI', () => {
  let port: number;
  beforeAll(async () => {
    port = await freePort();
  });
  const t = useTestApp({ env: () => ({ JWT_ISSUER: `http://127.0.0.1:${port}` }) });
  let browser: Browser;
  let page: Page;
  let baseUrl: string;
  let users: (NewUser & { id: string })[];

  beforeAll(async () => {
    users = [await register(t.http), await register(t.http)];
    // After the last t.http call: SuperTest closes a server it once started after each request.
    await t.app.listen(port, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${port}`;
    browser = await launchChromium([
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
    ]);
  });

  beforeEach(async () => {
    page = await browser.newPage();
  });

  afterAll(async () => {
    await browser?.close();
  });

  /** "Try it out" on GET /users/me: the call carries the token and shows the user. */
  async function callMe(email: string): Promise<void> {
    const operation = page.locator('#operations-users-UsersController_me');
    await operation.locator('.opblock-summary').click();
    await operation.locator('button.try-out__btn').click();
    const meResponse = page.waitForResponse((response) => response.url().endsWith('/users/me'));
    await operation.locator('button.execute').click();
    const me = await meResponse;
    expect(me.status()).toBe(200);
    expect(me.request().headers()['authorization']).toMatch(/^Bearer ey/);
    const shown = operation.locator('.live-responses-table tbody .response-col_status').first();
    await expect.poll(() => shown.textContent()).toContain('200');
    await expect
      .poll(() => operation.locator('.live-responses-table .microlight').first().textContent())
      .toContain(email);
  }

  it('signs in on the sign-in page (authorization code with PKCE) and calls GET /users/me', async () => {
    const user = users[0];
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    await page.goto(`${baseUrl}/docs`);
    await page.locator('.btn.authorize').first().click();
    const section = page.locator('.auth-container').filter({ hasText: 'authorizationCode' });
    await expect.poll(() => section.textContent()).toContain('/oauth/authorize');

    const popupOpened = page.waitForEvent('popup');
    await section.locator('button.authorize').click();
    const popup = await popupOpened;
    popup.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`popup: ${message.text()}`);
    });
    await popup.getByLabel('Username or email').fill(user.username);
    await popup.getByLabel('Password').fill(user.password);
    const tokenResponse = page.waitForResponse((response) =>
      response.url().endsWith('/auth/token'),
    );
    await popup.getByRole('button', { name: 'Sign in' }).click();
    const token = await tokenResponse;
    expect(token.status()).toBe(200);
    expect(token.request().postData()).toMatch(/grant_type=authorization_code/);
    expect(token.request().postData()).toMatch(/code_verifier=/);
    expect(token.request().postData()).toContain('client_id=app_api-docs-console');
    await expect
      .poll(() => page.getByRole('button', { name: 'Logout' }).count())
      .toBeGreaterThan(0);
    await page.locator('button.btn-done').first().click();

    await callMe(user.email);
    // Nothing blocked by the Content-Security-Policy or broken in the page or the sign-in popup.
    expect(consoleErrors).toEqual([]);
  }, 60_000);

  it('signs in with the password flow of the Authorize button and calls GET /users/me', async () => {
    const user = users[1];
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });

    const tokenResponse = page.waitForResponse((response) =>
      response.url().endsWith('/auth/token'),
    );
    await page.goto(`${baseUrl}/docs`);
    await page.locator('.btn.authorize').first().click();
    await page.locator('#oauth_username').fill(user.username);
    await page.locator('#oauth_password').fill(user.password);
    const password = page
      .locator('.auth-container')
      .filter({ has: page.locator('#oauth_username') });
    // The password grant takes no client; the dialog fills in the docs client's id for every flow.
    await password.getByLabel('client_id:').fill('');
    await password.locator('button.authorize').click();
    expect((await tokenResponse).status()).toBe(200);
    await expect
      .poll(() => page.getByRole('button', { name: 'Logout' }).count())
      .toBeGreaterThan(0);
    await page.locator('button.btn-done').first().click();

    await callMe(user.email);

    await page.screenshot({ path: 'test/browser/swagger-ui.png' });
    // Nothing blocked by the Content-Security-Policy or broken in the page.
    expect(consoleErrors).toEqual([]);
  }, 60_000);
});
