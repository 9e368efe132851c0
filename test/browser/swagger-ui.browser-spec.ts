import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register } from '../support/factories.js';
import { useTestApp } from '../support/test-app.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * What a person does in Swagger UI: open /docs, sign in through the
 * Authorize dialog (OAuth2 password flow against /auth/token), then call a
 * protected operation with "Try it out".
 */
describe('Swagger UI', () => {
  const t = useTestApp();
  let browser: Browser;
  let page: Page;
  let baseUrl: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`Chromium not found at ${CHROMIUM} (set CHROMIUM_PATH)`);
    await t.app.listen(0, '127.0.0.1');
    baseUrl = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('signs in with the Authorize button and calls GET /users/me', async () => {
    const user = await register(t.http);
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
    await page
      .locator('.auth-container')
      .filter({ has: page.locator('#oauth_username') })
      .locator('button.authorize')
      .click();
    expect((await tokenResponse).status()).toBe(200);
    await expect
      .poll(() => page.getByRole('button', { name: 'Logout' }).count())
      .toBeGreaterThan(0);
    await page.locator('button.btn-done').first().click();

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
      .toContain(user.email);

    await page.screenshot({ path: 'test/browser/swagger-ui.png' });
    // Nothing blocked by the Content-Security-Policy or broken in the page.
    expect(consoleErrors).toEqual([]);
  }, 60_000);
});
