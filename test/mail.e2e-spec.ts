import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailDelivery } from '../src/mail/mail-delivery.js';
import { MailService } from '../src/mail/mail.service.js';
import { MetricsService } from '../src/metrics/metrics.service.js';
import { OutboxWorker } from '../src/outbox/outbox.worker.js';
import { FIRST_RETRY_MS } from '../src/outbox/retry-delay.js';
import { realServices } from './support/app.js';
import { CapturedLog } from './support/captured-log.js';
import { linkIn, SmtpSink } from './support/smtp-sink.js';
import { type AppHandle, useTestApp } from './support/test-app.js';

/**
 * Issue 11, point 1 (and the mail metrics of point 6): a mail is written to
 * the outbox in the caller's transaction, sealed, and sent over SMTP by the
 * outbox worker with retries and backoff, exactly once across instances;
 * once sent, its payload is gone. Without SMTP_URL it is logged in full.
 */

const PUBLIC_URL = 'https://accounts.test.local/auth';

let counter = 0;
const address = () => `mail-${process.pid}-${Date.now()}-${++counter}@example.com`;
/** A token as the account flows make them: 256 bits, base64url. */
const newToken = () => randomBytes(32).toString('base64url');

const deliverDue = (t: AppHandle) => t.app.get(OutboxWorker).deliverDue();
/** The background poll would race the steps of a test: the tests deliver themselves. */
const stopPolling = (t: AppHandle) => t.app.get(OutboxWorker).stop();

interface MailRow {
  id: string;
  payload: Record<string, unknown>;
  attempts: number;
  next_attempt_at: Date;
  delivered_at: Date | null;
  last_error: string | null;
}

/** The mail rows of the outbox, newest first. */
const mailRows = (t: AppHandle) =>
  t.sql<MailRow>(
    `SELECT id, payload, attempts, next_attempt_at, delivered_at, last_error
     FROM outbox_messages WHERE kind = 'mail' ORDER BY created_at DESC`,
  );

async function counterValue(t: AppHandle, name: string, template: string): Promise<number> {
  const metric = await t.app.get(MetricsService).registry.getSingleMetric(name)!.get();
  return metric.values.find((value) => value.labels.template === template)?.value ?? 0;
}

/** Queues a verification mail whose link carries a fresh token. */
async function queueVerification(t: AppHandle, to = address(), username = 'ada') {
  const mail = t.app.get(MailService);
  const token = newToken();
  const link = mail.link('/account/verify-email', { token });
  await mail.queue(to, 'verify-email', { username, link, expiresInMinutes: 60 });
  return { to, token, link };
}

describe('mail over SMTP', () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await SmtpSink.start();
  });
  afterAll(async () => {
    await sink.stop();
  });
  const log = new CapturedLog();
  const t = useTestApp({
    env: () => ({ SMTP_URL: sink.url, PUBLIC_URL, LOG_FORMAT: 'json' }),
    logDestination: log,
  });
  beforeAll(() => stopPolling(t));

  it('sends a queued mail with text and HTML parts, From, To, Subject and a link under PUBLIC_URL', async () => {
    const { to, link } = await queueVerification(t);

    expect(await deliverDue(t)).toBe(1);
    const received = await sink.waitForMail(to);

    expect(received.from?.text).toBe('"Auth server" <no-reply@accounts.test.local>');
    expect(received.to).toMatchObject({ text: to });
    expect(received.subject).toBe('Confirm your e-mail address · Auth server');
    expect(received.messageId).toMatch(/^<[0-9a-f-]{36}@accounts\.test\.local>$/);
    expect(received.text).toContain('Hello ada,');
    expect(received.text).toContain(`\n${link}\n`);
    expect(received.html).toContain(`<a href="${link.replaceAll('&', '&amp;')}">`);
    expect(received.html).toContain('Auth server');
    expect(linkIn(received, '/auth/account/verify-email').href).toBe(link);
    expect(link.startsWith(`${PUBLIC_URL}/account/verify-email?token=`)).toBe(true);
  });

  it('keeps neither the address nor the link at rest, and empties the payload once sent', async () => {
    const { to, token } = await queueVerification(t, address(), 'grace-at-rest');

    const [queued] = await mailRows(t);
    expect(Object.keys(queued.payload).sort()).toEqual(['id', 'sealed', 'template']);
    const stored = JSON.stringify(queued.payload);
    for (const secret of [token, to, 'grace-at-rest', 'verify-email?']) {
      expect(stored).not.toContain(secret);
    }

    await deliverDue(t);
    await sink.waitForMail(to);

    const [sent] = await mailRows(t);
    expect(sent.id).toBe(queued.id);
    expect(sent.delivered_at).not.toBeNull();
    expect(sent.payload).toEqual({});
  });

  it('sends nothing for a mail queued in a transaction that rolled back', async () => {
    const to = address();
    const before = (await mailRows(t)).length;

    await expect(
      t.app.get(DataSource).transaction(async (manager) => {
        await t.app.get(MailService).queue(to, 'test', {}, manager);
        throw new Error('the cause of the mail failed');
      }),
    ).rejects.toThrow('the cause of the mail failed');
    await deliverDue(t);

    expect(await mailRows(t)).toHaveLength(before);
    expect(sink.mailsTo(to)).toEqual([]);
  });

  it('gives every attempt at one outbox message the same Message-ID, so a receiver can drop a repeat', async () => {
    const { to } = await queueVerification(t);
    const [queued] = await mailRows(t);

    await t.app.get(MailDelivery).deliver(queued.payload);
    await t.app.get(MailDelivery).deliver(queued.payload);

    await expect.poll(() => sink.mailsTo(to).length).toBe(2);
    const [first, second] = sink.mailsTo(to);
    expect(second.messageId).toBe(first.messageId);
    await deliverDue(t);
  });

  it('refuses a sealed payload moved to another message id', async () => {
    const { to } = await queueVerification(t);
    const [queued] = await mailRows(t);

    await expect(
      t.app.get(MailDelivery).deliver({ ...queued.payload, id: randomUUID() }),
    ).rejects.toThrow();
    expect(sink.mailsTo(to)).toEqual([]);
    await deliverDue(t);
  });

  it('keeps a mail pending with backoff while SMTP is down, and sends it exactly once when it is back', async () => {
    const failures = await counterValue(t, 'mail_delivery_failures_total', 'verify-email');
    const retries = await counterValue(t, 'mail_delivery_retries_total', 'verify-email');
    const sent = await counterValue(t, 'mail_messages_sent_total', 'verify-email');
    await sink.stop();
    const { to } = await queueVerification(t);

    expect(await deliverDue(t)).toBe(0);
    const [failed] = await mailRows(t);
    expect(failed).toMatchObject({ attempts: 1, delivered_at: null });
    expect(failed.last_error).toMatch(/ECONNREFUSED/);
    expect(failed.next_attempt_at.getTime()).toBeGreaterThanOrEqual(
      Date.now() + FIRST_RETRY_MS / 2 - 1000,
    );
    expect(await counterValue(t, 'mail_delivery_failures_total', 'verify-email')).toBe(
      failures + 1,
    );
    expect(await counterValue(t, 'mail_delivery_retries_total', 'verify-email')).toBe(retries + 1);

    await sink.restart();
    expect(await deliverDue(t)).toBe(0);
    expect((await mailRows(t))[0].attempts).toBe(1);

    t.clock().advance(FIRST_RETRY_MS / 1000 + 1);
    expect(await deliverDue(t)).toBe(1);
    expect(await deliverDue(t)).toBe(0);

    await sink.waitForMail(to);
    expect(sink.mailsTo(to)).toHaveLength(1);
    expect(await counterValue(t, 'mail_messages_sent_total', 'verify-email')).toBe(sent + 1);
  });

  it('gives up, without retrying, a mail whose address the SMTP server refuses for good', async () => {
    const failures = await counterValue(t, 'mail_delivery_failures_total', 'verify-email');
    const retries = await counterValue(t, 'mail_delivery_retries_total', 'verify-email');
    const to = address();
    sink.refusedRecipients.set(to, 550);
    const before = (await mailRows(t)).length;
    await queueVerification(t, to);

    expect(await deliverDue(t)).toBe(0);

    expect(await mailRows(t)).toHaveLength(before);
    expect(log.events('outbox.undeliverable')).toEqual([
      expect.objectContaining({ kind: 'mail', reason: expect.stringContaining('550') }),
    ]);
    expect(await counterValue(t, 'mail_delivery_failures_total', 'verify-email')).toBe(
      failures + 1,
    );
    expect(await counterValue(t, 'mail_delivery_retries_total', 'verify-email')).toBe(retries);
    expect(sink.mailsTo(to)).toEqual([]);
  });

  it('cannot be given a recipient or a header by an address or a name with CR/LF', async () => {
    const mail = t.app.get(MailService);
    const evil = address();
    for (const to of [
      `victim@example.com\r\nBcc: ${evil}`,
      `victim@example.com, ${evil}`,
      `"Victim" <${evil}>`,
      `victim@example.com\nSubject: forged`,
    ]) {
      await expect(mail.queue(to, 'test', {})).rejects.toThrow('one plain address');
    }

    const username = `ada\r\nBcc: ${evil}\r\nSubject: forged\r\n\r\n<script>alert(1)</script>`;
    const { to } = await queueVerification(t, address(), username);
    await deliverDue(t);
    const received = await sink.waitForMail(to);

    expect(sink.recipientsOf(received)).toEqual([to]);
    expect(received.headers.has('bcc')).toBe(false);
    expect(received.subject).toBe('Confirm your e-mail address · Auth server');
    expect(received.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(received.html).not.toContain('<script>');
    expect(sink.mailsTo(evil)).toEqual([]);
  });

  it('refuses a template without its data, and a link that leaves the server', () => {
    const mail = t.app.get(MailService);

    for (const path of [
      '//evil.example/account',
      '/\\\\evil.example/account',
      'https://evil.example/account',
      '/../account',
      'account',
    ]) {
      expect(() => mail.link(path, {}), path).toThrow('a mail link is a path under PUBLIC_URL');
    }
    expect(mail.link('/account/reset-password', { token: 'a b&c' })).toBe(
      `${PUBLIC_URL}/account/reset-password?token=a+b%26c`,
    );
    return expect(
      mail.queue(address(), 'reset-password', { username: 'ada', expiresInMinutes: 30 }),
    ).rejects.toThrow('needs link');
  });

  it('never writes the SMTP password, an address or a mail link to the log or the metrics', async () => {
    const metrics = await t.app.get(MetricsService).registry.metrics();

    expect(metrics).toContain('mail_messages_queued_total{template="verify-email"}');
    expect(metrics).toContain('mail_messages_sent_total{template="verify-email"}');
    for (const text of [log.text, metrics]) {
      expect(text).not.toContain(sink.secret);
      expect(text).not.toContain('token=');
      expect(text).not.toContain('@example.com');
    }
    expect(log.events('mail.sent').length).toBeGreaterThan(0);
    expect(log.events('mail.logged')).toEqual([]);
  });
});

describe('SMTP refusing the credentials', () => {
  let sink: SmtpSink;
  const wrongPassword = `wrong-${randomBytes(8).toString('hex')}`;
  beforeAll(async () => {
    sink = await SmtpSink.start();
  });
  afterAll(async () => {
    await sink.stop();
  });
  const log = new CapturedLog();
  const t = useTestApp({
    env: () => ({
      SMTP_URL: `smtp://mailer:${wrongPassword}@127.0.0.1:${sink.port}`,
      LOG_FORMAT: 'json',
    }),
    logDestination: log,
  });
  beforeAll(() => stopPolling(t));

  it('keeps the mail and says why, without the password in the log, the outbox or the metrics', async () => {
    const { to } = await queueVerification(t);

    expect(await deliverDue(t)).toBe(0);

    const [failed] = await mailRows(t);
    expect(failed.last_error).toMatch(/Invalid login|535/);
    const [line] = log.events('outbox.delivery_failed');
    expect(line).toMatchObject({ kind: 'mail', reason: failed.last_error });
    const metrics = await t.app.get(MetricsService).registry.metrics();
    for (const text of [log.text, metrics, JSON.stringify(failed)]) {
      expect(text).not.toContain(wrongPassword);
      expect(text).not.toContain(to);
    }
    expect(sink.mails).toEqual([]);
  });
});

describe('without SMTP_URL (development)', () => {
  const log = new CapturedLog();
  const t = useTestApp({ env: { LOG_FORMAT: 'json' }, logDestination: log });
  beforeAll(() => stopPolling(t));

  it('writes the whole mail, link included, to the log as one mail.logged line', async () => {
    const mail = t.app.get(MailService);
    const to = address();
    const link = mail.link('/account/reset-password', { token: newToken() });

    await mail.queue(to, 'reset-password', { username: 'ada', link, expiresInMinutes: 30 });
    expect(await deliverDue(t)).toBe(1);

    const [logged] = log.events('mail.logged');
    expect(logged).toMatchObject({
      level: 'info',
      to,
      from: '"Auth server" <no-reply@auth.test.local>',
      subject: 'Reset your password · Auth server',
    });
    expect(logged.text).toContain(`\n${link}\n`);
    expect(link.startsWith('https://auth.test.local/account/reset-password?token=')).toBe(true);
    expect((await mailRows(t))[0].payload).toEqual({});
  });
});

describe.runIf(realServices.databaseUrl && realServices.redisUrl)(
  'two instances on one database',
  () => {
    let sink: SmtpSink;
    beforeAll(async () => {
      sink = await SmtpSink.start();
    });
    afterAll(async () => {
      await sink.stop();
    });
    const env = () => ({ SMTP_URL: sink.url });
    const a = useTestApp({ env });
    const b = useTestApp({ env, shareWith: a });
    beforeAll(() => Promise.all([stopPolling(a), stopPolling(b)]));

    it('send each mail of a backlog exactly once, however their passes interleave', async () => {
      await sink.stop();
      const queued = await Promise.all(
        Array.from({ length: 8 }, (_, i) => queueVerification(i % 2 ? a : b)),
      );
      await Promise.all([deliverDue(a), deliverDue(b)]);
      await sink.restart();

      a.clock().advance(FIRST_RETRY_MS / 1000 + 1);
      b.clock().advance(FIRST_RETRY_MS / 1000 + 1);
      await Promise.all([a, b, a, b, a, b].map((instance) => deliverDue(instance)));

      await expect.poll(() => sink.mails.length).toBe(queued.length);
      for (const { to } of queued) expect(sink.mailsTo(to)).toHaveLength(1);
      expect((await mailRows(a)).every((row) => row.delivered_at !== null)).toBe(true);
    });
  },
);
