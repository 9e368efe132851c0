import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailService } from '../src/mail/mail.service.js';
import { OutboxWorker } from '../src/outbox/outbox.worker.js';
import { linkIn, SmtpSink } from './support/smtp-sink.js';
import { type AppHandle, useTestApp } from './support/test-app.js';

/**
 * Issue 11, point 1: mails are written to the outbox in the caller's
 * transaction and sent over SMTP by the outbox worker, with retries,
 * exactly once across instances; without SMTP_URL they are logged in full.
 */

const PUBLIC_URL = 'https://accounts.test.local/auth';

let counter = 0;
const address = () => `mail-${process.pid}-${Date.now()}-${++counter}@example.com`;

const deliverDue = (t: AppHandle) => t.app.get(OutboxWorker).deliverDue();

describe('mail over SMTP', () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await SmtpSink.start();
  });
  afterAll(async () => {
    await sink.stop();
  });
  const t = useTestApp({ env: () => ({ SMTP_URL: sink.url, PUBLIC_URL }) });

  it('sends a queued mail with text and HTML parts, From, To, Subject and a link under PUBLIC_URL', async () => {
    const mail = t.app.get(MailService);
    const to = address();
    const link = mail.link('/account/verify-email', { token: 'a-token' });

    await mail.queue(to, 'verify-email', { username: 'ada', link, expiresInMinutes: 60 });
    await deliverDue(t);
    const received = await sink.waitForMail(to);

    expect(received.from?.text).toBe('"Auth server" <no-reply@accounts.test.local>');
    expect(received.to).toMatchObject({ text: to });
    expect(received.subject).toBe('Confirm your e-mail address · Auth server');
    expect(received.text).toContain('Hello ada,');
    expect(received.html).toContain(`<a href="${link}">`);
    expect(linkIn(received, '/auth/account/verify-email').href).toBe(
      `${PUBLIC_URL}/account/verify-email?token=a-token`,
    );
  });
});
