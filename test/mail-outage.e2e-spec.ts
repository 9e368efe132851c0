import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIL_OUTBOX_KIND } from '../src/mail/mail-delivery.js';
import { OutboxWorker } from '../src/outbox/outbox.worker.js';
import { realServices } from './support/app.js';
import { loginStatus, register } from './support/factories.js';
import { linkIn, SmtpSink } from './support/smtp-sink.js';
import { type AppHandle, useTestApp } from './support/test-app.js';

/**
 * Issue 11, "Done when": SMTP is down while a password reset is requested;
 * the mail waits in the outbox, is retried, and arrives once SMTP is back,
 * exactly once, with a link that works, also with two instances delivering
 * side by side.
 */

const RESET_PAGE = '/account/reset-password';
const RESET_SUBJECT = /^Reset your password/;
/** Longer than the first few retry delays (10 s, then 20 s, 40 s, with jitter below them). */
const PAST_NEXT_RETRY_S = 60;

const resetMails = (sink: SmtpSink, email: string) =>
  sink.mailsTo(email).filter((mail) => RESET_SUBJECT.test(mail.subject ?? ''));

interface MailRow {
  id: string;
  attempts: number;
  delivered: boolean;
  last_error: string | null;
}

/** The reset mails waiting in the outbox (a delivered mail's payload is scrubbed). */
function queuedResetMails(t: AppHandle): Promise<MailRow[]> {
  return t.sql<MailRow>(
    `SELECT id, attempts, delivered_at IS NOT NULL AS delivered, last_error
       FROM outbox_messages WHERE kind = $1 AND payload->>'template' = 'reset-password'`,
    [MAIL_OUTBOX_KIND],
  );
}

async function outboxRow(t: AppHandle, id: string): Promise<MailRow> {
  const [row] = await t.sql<MailRow>(
    `SELECT id, attempts, delivered_at IS NOT NULL AS delivered, last_error
       FROM outbox_messages WHERE id = $1`,
    [id],
  );
  return row;
}

/** A sink for the spec's `describe` (call it before `useTestApp`), and the apps' settings for it. */
function useSmtpSink() {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await SmtpSink.start();
  });
  afterAll(() => sink.stop());
  const env = () => ({ SMTP_URL: sink.url, THROTTLE_MAIL_IP: '100000/3600' });
  return { env, sink: () => sink };
}

/** SMTP down → request → failed attempts on every instance → SMTP up → concurrent passes. */
async function runOutage(apps: AppHandle[], sink: SmtpSink): Promise<void> {
  const [first] = apps;
  const user = await register(first.http);
  // Its verification mail goes out first: only the reset mail meets the outage.
  await sink.waitForMail(user.email);
  const pass = (app: AppHandle) => app.app.get(OutboxWorker).deliverDue();
  const later = () => apps.forEach((app) => app.clock().advance(PAST_NEXT_RETRY_S));

  // The test runs every pass itself, so that it knows which instance tried when.
  await Promise.all(apps.map((app) => app.app.get(OutboxWorker).stop()));
  await sink.stop();
  await first.http.post('/auth/password/forgot').send({ email: user.email }).expect(202);
  // The request becomes a queued mail; then each instance tries to send it, and fails.
  await pass(first);
  for (const app of apps) {
    later();
    await pass(app);
  }
  const [failed, ...others] = await queuedResetMails(first);
  expect(others).toEqual([]);
  expect(failed).toMatchObject({ delivered: false, attempts: apps.length });
  expect(failed.last_error).toEqual(expect.any(String));
  expect(resetMails(sink, user.email)).toEqual([]);

  await sink.restart();
  later();
  await Promise.all([...apps, ...apps, ...apps].map(pass));
  const mail = await sink.waitForMail(user.email, (m) => RESET_SUBJECT.test(m.subject ?? ''));
  later();
  await Promise.all([...apps, ...apps].map(pass));

  expect(resetMails(sink, user.email)).toHaveLength(1);
  expect(await outboxRow(first, failed.id)).toMatchObject({ delivered: true });
  const token = linkIn(mail, RESET_PAGE).searchParams.get('token')!;
  const password = `After-outage-${randomBytes(4).toString('hex')}`;
  await apps[apps.length - 1].http
    .post('/auth/password/reset')
    .send({ token, password })
    .expect(204);
  expect(await loginStatus(first.http, user.username, password)).toBe(200);
}

describe('mail outage, one instance', () => {
  const setup = useSmtpSink();
  const t = useTestApp({ env: () => setup.env() });

  it('sends a reset mail requested while SMTP was down once it is back, exactly once', async () => {
    await runOutage([t], setup.sink());
  });
});

/**
 * Two instances need one database they can both reach: the embedded PGlite
 * is opened by one process and served over a single connection, so this
 * part runs on PostgreSQL (and Redis) only.
 */
describe.runIf(realServices.databaseUrl && realServices.redisUrl)(
  'mail outage, two instances',
  () => {
    const setup = useSmtpSink();
    const a = useTestApp({ env: () => setup.env() });
    const b = useTestApp({ env: () => setup.env(), shareWith: a });

    it('sends the mail exactly once when both instances deliver at once after SMTP returns', async () => {
      await runOutage([a, b], setup.sink());
    });
  },
);
