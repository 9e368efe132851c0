import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxWorker } from '../../src/outbox/outbox.worker.js';
import { register } from '../support/factories.js';
import { launchChromium } from '../support/chromium.js';
import { freePort } from '../support/net.js';
import { linkIn, SmtpSink } from '../support/smtp-sink.js';
import { useTestApp } from '../support/test-app.js';

/**
 * Issue 11, point 2 in a real browser: the link from the verification mail
 * (received over SMTP) opens the hosted page in Chromium, which shows a
 * button under the page's own CSP; only pressing it verifies the address.
 */
describe('e-mail verification in a browser', () => {
  let port: number;
  let sink: SmtpSink;
  beforeAll(async () => {
    port = await freePort();
    sink = await SmtpSink.start();
  });
  const t = useTestApp({
    env: () => ({ JWT_ISSUER: `http://127.0.0.1:${port}`, SMTP_URL: sink.url }),
  });
  let browser: Browser;
  let link: string;
  let userId: string;

  beforeAll(async () => {
    const user = await register(t.http);
    userId = user.id;
    await t.app.get(OutboxWorker).deliverDue();
    link = linkIn(await sink.waitForMail(user.email), '/account/verify-email').href;
    // After the last t.http call: SuperTest closes a server it once started after each request.
    await t.app.listen(port, '127.0.0.1');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await sink?.stop();
  });

  const verifiedAt = async () =>
    (
      await t.sql<{ email_verified_at: Date | null }>(
        'SELECT email_verified_at FROM users WHERE id = $1',
        [userId],
      )
    )[0].email_verified_at;

  it('opens the mailed link on a page with one button, and verifies only when it is pressed', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });

    const opened = await page.goto(link);

    expect(opened?.status()).toBe(200);
    expect(opened?.headers()).toMatchObject({
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
    expect(opened?.headers()['content-security-policy']).toContain(`default-src 'none'`);
    await expect(page.getByRole('heading').textContent()).resolves.toBe(
      'Confirm your e-mail address',
    );
    expect(await verifiedAt()).toBeNull();

    await page.getByRole('button', { name: 'Confirm my address' }).click();
    await page.waitForLoadState();

    await expect(page.getByRole('heading').textContent()).resolves.toBe('Address verified');
    expect(await verifiedAt()).toBeInstanceOf(Date);
    expect(errors).toEqual([]);

    await page.goto(link);
    await page.getByRole('button', { name: 'Confirm my address' }).click();
    await page.waitForLoadState();
    await expect(page.getByRole('heading').textContent()).resolves.toBe('Link not valid');
    await page.close();
  });
});
