import { createServer, type Server } from 'node:http';
import type { Browser, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxWorker } from '../../src/outbox/outbox.worker.js';
import { adminTokens, bearer, register } from '../support/factories.js';
import { expectStrictPages, launchChromium, watchedPage } from '../support/chromium.js';
import { freePort } from '../support/net.js';
import { linkIn, SmtpSink } from '../support/smtp-sink.js';
import { useTestApp } from '../support/test-app.js';

/**
 * Issue 11, "Done when": forgot → mail → reset through the hosted pages in
 * Chromium, then a sign-in with the new password on the hosted sign-in page,
 * over the real HTTP server and a real SMTP server; no console errors (the
 * pages' CSP allows no script and no inline style).
 */
describe('password reset in a browser', () => {
  let port: number;
  let appOrigin: string;
  let sink: SmtpSink;
  beforeAll(async () => {
    port = await freePort();
    appOrigin = `http://127.0.0.1:${await freePort()}`;
    sink = await SmtpSink.start();
  });
  const t = useTestApp({
    env: () => ({ JWT_ISSUER: `http://127.0.0.1:${port}`, SMTP_URL: sink.url }),
  });
  let issuer: string;
  let browser: Browser;
  let page: Page;
  let apps: Server;
  let clientId: string;
  let user: { username: string; password: string; email: string; id: string };
  let consoleErrors: string[] = [];
  let pages: Response[] = [];

  beforeAll(async () => {
    issuer = `http://127.0.0.1:${port}`;
    const admin = (await adminTokens(t.http)).access_token;
    const client = await t.http
      .post('/admin/clients')
      .set(bearer(admin))
      .send({
        client_name: 'Team Board',
        redirect_uris: [`${appOrigin}/callback`],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'none',
        scope: 'openid profile email',
        first_party: true,
      })
      .expect(201);
    clientId = client.body.client_id as string;
    user = await register(t.http);
    // After the last t.http call: SuperTest closes a server it once started after each request.
    await t.app.listen(port, '127.0.0.1');

    apps = createServer((_, response) =>
      response.writeHead(200, { 'content-type': 'text/plain' }).end('app'),
    );
    await new Promise<void>((resolve) =>
      apps.listen(Number(new URL(appOrigin).port), '127.0.0.1', resolve),
    );
    browser = await launchChromium();
    ({ page, consoleErrors, htmlResponses: pages } = await watchedPage(browser, issuer));
  });

  afterAll(async () => {
    await browser?.close();
    if (apps) {
      apps.closeAllConnections();
      await new Promise((resolve) => apps.close(resolve));
    }
    await sink?.stop();
  });

  /** The app sends the user to sign in (PKCE values are fixed: no token is redeemed here). */
  const authorizeUrl = () =>
    `${issuer}/oauth/authorize?${new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: `${appOrigin}/callback`,
      scope: 'openid profile email',
      state: 'state-1',
      nonce: 'nonce-1',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGjSstw-cM',
      code_challenge_method: 'S256',
    })}`;

  it('resets a forgotten password from the sign-in page, by mail, and signs in with the new one', async () => {
    await page.goto(authorizeUrl());
    await expect.poll(() => page.title()).toMatch(/^Sign in · /);
    await page.getByRole('link', { name: 'Forgot password?' }).click();

    await expect.poll(() => page.title()).toMatch(/^Reset your password · /);
    await page.getByLabel('Email').fill(user.email);
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await expect.poll(() => page.title()).toMatch(/^Check your email · /);

    await t.app.get(OutboxWorker).deliverDue();
    await t.app.get(OutboxWorker).deliverDue();
    const mail = await sink.waitForMail(user.email, (m) => /^Reset your/.test(m.subject ?? ''));
    const link = linkIn(mail, '/account/reset-password');
    expect(link.origin).toBe(issuer);

    await page.goto(link.href);
    await expect.poll(() => page.title()).toMatch(/^Choose a new password · /);
    const password = 'a-brand-new-passphrase-42';
    await page.getByLabel('New password').fill(password);
    await page.getByRole('button', { name: 'Set new password' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Your password is changed');

    await page.goto(authorizeUrl());
    await expect.poll(() => page.title()).toMatch(/^Sign in · /);
    await page.getByLabel('Username or email').fill(user.username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((target) => target.origin === appOrigin);
    const callback = new URL(page.url());
    expect(callback.searchParams.get('code')).toEqual(expect.any(String));
    expect(callback.searchParams.get('state')).toBe('state-1');
  });

  it('served every page under its strict policy, with no console errors', () => {
    expect(pages.length).toBeGreaterThanOrEqual(5);
    expectStrictPages({ page, consoleErrors, htmlResponses: pages });
  });
});
