import type { ParsedMail } from 'mailparser';
import { randomBytes } from 'node:crypto';
import type supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxWorker } from '../src/outbox/outbox.worker.js';
import { SsoSessionsService } from '../src/sso/sso-sessions.service.js';
import { Browser, formOf } from './support/browser.js';
import {
  bearer,
  expectProblem,
  expectRetryAfter,
  invalidFields,
  login,
  loginStatus,
  newUser,
  register,
  signUp,
} from './support/factories.js';
import { linkIn, SmtpSink } from './support/smtp-sink.js';
import { type AppHandle, useTestApp } from './support/test-app.js';

/**
 * Issue 11, point 3 (and its share of 5 and 6): "forgot password" → a mail
 * with a link → a new password, over a real SMTP server, through the API and
 * the hosted pages; with the abuse cases: enumeration, replay, expiry,
 * forgery, races, CSRF, limits, and no token in the log.
 */

const RESET_PAGE = '/account/reset-password';
const RESET_SUBJECT = /^Reset your password/;
const NOTICE_SUBJECT = /^Your password was changed/;

/** Collects what the app logs. */
class CapturedLog {
  private readonly chunks: string[] = [];
  write(chunk: string): void {
    this.chunks.push(chunk);
  }
  get text(): string {
    return this.chunks.join('');
  }
}

/** Delivers what the outbox holds until nothing is left (a reset request queues a mail). */
async function drain(t: AppHandle): Promise<void> {
  await expect
    .poll(async () => {
      await t.app.get(OutboxWorker).deliverDue();
      const [{ count }] = await t.sql<{ count: number }>(
        `SELECT count(*)::int AS count FROM outbox_messages WHERE delivered_at IS NULL`,
      );
      return count;
    })
    .toBe(0);
}

const strongPassword = () => `New-${randomBytes(5).toString('hex')}-passphrase`;

describe('password reset', () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await SmtpSink.start();
  });
  afterAll(() => sink.stop());
  const log = new CapturedLog();
  const t = useTestApp({
    env: () => ({
      SMTP_URL: sink.url,
      THROTTLE_LOGIN_ACCOUNT: '3/60',
      THROTTLE_MAIL_IP: '100000/3600',
      THROTTLE_MAIL_ADDRESS: '3/3600',
    }),
    logDestination: log,
  });

  const forgot = (email: string) => t.http.post('/auth/password/forgot').send({ email });
  const reset = (token: string, password: string) =>
    t.http.post('/auth/password/reset').send({ token, password });

  /** Asks for a reset of `email` and returns the token of the mail that arrives. */
  async function resetToken(email: string, previous: ParsedMail[] = []): Promise<string> {
    await forgot(email).expect(202);
    await drain(t);
    const mail = await sink.waitForMail(
      email,
      (mail) => RESET_SUBJECT.test(mail.subject ?? '') && !previous.includes(mail),
    );
    return linkIn(mail, RESET_PAGE).searchParams.get('token')!;
  }
  const resetMails = (email: string) =>
    sink.mailsTo(email).filter((mail) => RESET_SUBJECT.test(mail.subject ?? ''));

  describe('through the API', () => {
    it('mails a link to the hosted page, whose token sets a new password: the old one stops working', async () => {
      const user = await signUp(t.http);
      const token = await resetToken(user.email);
      const mail = resetMails(user.email)[0];
      const link = linkIn(mail, RESET_PAGE);

      expect(link.origin).toBe('https://auth.test.local');
      expect(token).toMatch(/^[\w-]{43}$/);
      expect(mail.text).toContain(user.username);
      expect(mail.html).toContain(link.href.replace(/&/g, '&amp;'));

      const password = strongPassword();
      await reset(token, password).expect(204);

      expect(await loginStatus(t.http, user.username, user.password)).toBe(401);
      expect(await loginStatus(t.http, user.email, password)).toBe(200);
    });

    it('ends every refresh session, access token and SSO session of the account', async () => {
      const user = await signUp(t.http);
      const second = await login(t.http, user.username, user.password);
      const sso = await t.app
        .get(SsoSessionsService)
        .signedIn(user.id, null, { ip: '127.0.0.1', userAgent: 'test' });
      const token = await resetToken(user.email);

      await reset(token, strongPassword()).expect(204);

      for (const tokens of [user.tokens, second]) {
        await t.http.get('/users/me').set(bearer(tokens.access_token)).expect(401);
        await t.http
          .post('/auth/refresh')
          .send({ refresh_token: tokens.refresh_token })
          .expect(401);
      }
      expect(await t.app.get(SsoSessionsService).find(sso.token!)).toBeNull();
    });

    it('lifts the sign-in lock: the owner signs in at once with the new password', async () => {
      const user = await register(t.http);
      for (let i = 0; i < 3; i++) await loginStatus(t.http, user.username, 'wrong-password-x');
      expectRetryAfter(
        await t.http.post('/auth/login').send({ username: user.username, password: user.password }),
      );

      const password = strongPassword();
      await reset(await resetToken(user.email), password).expect(204);

      expect(await loginStatus(t.http, user.username, password)).toBe(200);
    });

    it('mails a notice that the password changed, marks the address verified, and audits both steps', async () => {
      const user = await register(t.http);
      const password = strongPassword();
      await reset(await resetToken(user.email), password).expect(204);
      await drain(t);

      const notice = await sink.waitForMail(user.email, (mail) =>
        NOTICE_SUBJECT.test(mail.subject ?? ''),
      );
      expect(notice.text).toContain(user.username);
      const [row] = await t.sql<{ verified: boolean }>(
        `SELECT email_verified_at IS NOT NULL AS verified FROM users WHERE id = $1`,
        [user.id],
      );
      expect(row.verified).toBe(true);
      const actions = await t.sql<{ action: string }>(
        `SELECT action FROM audit_events WHERE subject_id = $1 ORDER BY occurred_at`,
        [user.id],
      );
      expect(actions.map((event) => event.action)).toEqual(
        expect.arrayContaining(['password.reset_requested', 'password.reset']),
      );
      const tokens = await login(t.http, user.username, password);
      const activity = await t.http
        .get('/auth/activity')
        .set(bearer(tokens.access_token))
        .expect(200);
      expect(JSON.stringify(activity.body)).toContain('password.reset');
    });
  });

  describe('no account enumeration', () => {
    /** What a caller sees: status, body, and headers but the per-request ones. */
    const visible = (response: supertest.Response) => ({
      status: response.status,
      body: response.body as unknown,
      headers: Object.keys(response.headers)
        .filter((name) => !['date', 'x-request-id'].includes(name))
        .sort()
        .map((name) => [name, response.headers[name] as unknown]),
    });

    it('answers an unknown address exactly as a known one, and mails nobody', async () => {
      const user = await register(t.http);
      const unknown = newUser().email;

      const known = await forgot(user.email);
      const missing = await forgot(unknown);
      await drain(t);

      expect(known.status).toBe(202);
      expect(visible(missing)).toEqual(visible(known));
      await sink.waitForMail(user.email, (mail) => RESET_SUBJECT.test(mail.subject ?? ''));
      expect(sink.mailsTo(unknown)).toEqual([]);
      expect(sink.mails.filter((mail) => mail.text?.includes(unknown))).toEqual([]);
      const events = await t.sql(`SELECT 1 FROM audit_events WHERE details::text LIKE $1`, [
        `%${unknown}%`,
      ]);
      expect(events).toEqual([]);
    });

    it('answers a disabled account the same, and mails it nothing', async () => {
      const user = await register(t.http);
      await t.sql(`UPDATE users SET disabled = true WHERE id = $1`, [user.id]);

      await forgot(user.email).expect(202);
      await drain(t);

      expect(resetMails(user.email)).toEqual([]);
    });

    it('stays silent beyond MAIL_ADDRESS mails to one address: same answer, no more mail', async () => {
      const user = await register(t.http);
      for (let i = 0; i < 5; i++) await forgot(user.email).expect(202);
      await drain(t);

      // THROTTLE_MAIL_ADDRESS, as by default: 3 an hour per address.
      expect(resetMails(user.email)).toHaveLength(3);
    });
  });

  describe('token rules', () => {
    it('refuses a used token', async () => {
      const user = await register(t.http);
      const token = await resetToken(user.email);
      await reset(token, strongPassword()).expect(204);

      const again = expectProblem(await reset(token, strongPassword()), 400);
      expect(again.detail).toMatch(/invalid, has expired or was already used/);
    });

    it('refuses a forged token and one of the wrong shape, with the same answer', async () => {
      const forged = await reset(randomBytes(32).toString('base64url'), strongPassword());
      const odd = await reset('not-a-token', strongPassword());

      expect(expectProblem(forged, 400).detail).toBe(expectProblem(odd, 400).detail);
    });

    it('refuses a token voided by a newer one, and takes the newer one', async () => {
      const user = await register(t.http);
      const older = await resetToken(user.email);
      const newer = await resetToken(user.email, resetMails(user.email));

      expectProblem(await reset(older, strongPassword()), 400);
      await reset(newer, strongPassword()).expect(204);
    });

    it('refuses an expired token (30 minutes)', async () => {
      const user = await register(t.http);
      const token = await resetToken(user.email);
      try {
        t.clock().advance(30 * 60 + 1);
        expectProblem(await reset(token, strongPassword()), 400);
      } finally {
        t.clock().reset();
      }
    });

    it('lets exactly one of two concurrent resets with one token through', async () => {
      const user = await register(t.http);
      const token = await resetToken(user.email);
      const passwords = [strongPassword(), strongPassword()];

      const statuses = (await Promise.all(passwords.map((password) => reset(token, password)))).map(
        (response) => response.status,
      );

      expect(statuses.sort()).toEqual([204, 400]);
      const winner = passwords[statuses.indexOf(204)] ?? passwords[0];
      const signedIn = await Promise.all(
        passwords.map((password) => loginStatus(t.http, user.username, password)),
      );
      expect(signedIn.filter((status) => status === 200)).toHaveLength(1);
      expect(winner).toBeDefined();
    });

    it('refuses a weak password without spending the token', async () => {
      const user = await register(t.http);
      const token = await resetToken(user.email);

      const short = expectProblem(await reset(token, 'short'), 400);
      const ownEmail = expectProblem(await reset(token, user.email), 400);
      expect(short.errors?.map((error) => error.field)).toEqual(['password']);
      expect(ownEmail.errors?.map((error) => error.field)).toEqual(['password']);

      await reset(token, strongPassword()).expect(204);
    });

    it('rejects unknown and missing fields', async () => {
      const extraForgot = await t.http
        .post('/auth/password/forgot')
        .send({ email: 'a@example.com', username: 'a' });
      const extraReset = await t.http
        .post('/auth/password/reset')
        .send({ token: 'x', password: strongPassword(), roles: ['admin'] });
      const missing = await t.http.post('/auth/password/reset').send({});
      const badEmail = await forgot('not an address');

      for (const response of [extraForgot, extraReset, missing, badEmail])
        expectProblem(response, 400);
      expect(invalidFields(extraForgot)).toContain('username');
      expect(invalidFields(extraReset)).toContain('roles');
      expect(invalidFields(missing).sort()).toEqual(['password', 'token']);
      expect(invalidFields(badEmail)).toEqual(['email']);
    });
  });

  describe('the hosted pages', () => {
    it('reset the password through the forms, with this browser’s CSRF token', async () => {
      const user = await register(t.http);
      const browser = new Browser(t.http);
      const forgotPage = await browser.get('/account/forgot-password');
      expectPageHeaders(forgotPage);
      const forgotForm = formOf(forgotPage.text);

      const sent = await browser.post(forgotForm.action, {
        ...forgotForm.fields,
        email: user.email,
      });
      expect(sent.status).toBe(200);
      expect(sent.text).toContain('Check your email');
      await drain(t);
      const mail = await sink.waitForMail(user.email, (m) => RESET_SUBJECT.test(m.subject ?? ''));
      const link = linkIn(mail, RESET_PAGE);

      const page = await browser.get(link.href);
      expectPageHeaders(page);
      const form = formOf(page.text);
      expect(form).toMatchObject({ action: RESET_PAGE });
      expect(form.fields.token).toBe(link.searchParams.get('token'));
      // Opening the link changed nothing: the old password still works.
      expect(await loginStatus(t.http, user.username, user.password)).toBe(200);

      const password = strongPassword();
      const done = await browser.post(form.action, { ...form.fields, password });
      expect(done.status).toBe(200);
      expect(done.text).toContain('Your password is changed');
      expect(await loginStatus(t.http, user.username, password)).toBe(200);
    });

    it('shows a weak password on the form again, with the policy’s message, and keeps the token', async () => {
      const user = await register(t.http);
      const token = await resetToken(user.email);
      const browser = new Browser(t.http);
      const form = formOf((await browser.get(`${RESET_PAGE}?token=${token}`)).text);

      const weak = await browser.post(form.action, { ...form.fields, password: user.username });
      expect(weak.status).toBe(400);
      expect(weak.text).toMatch(/role="alert"/);
      expect(weak.text).toMatch(/password must be 10 to 128 characters|username or email/);

      const again = formOf(weak.text);
      const done = await browser.post(again.action, {
        ...again.fields,
        password: strongPassword(),
      });
      expect(done.status).toBe(200);
    });

    it('shows the error page for a bad token, and for a link without one', async () => {
      const browser = new Browser(t.http);
      const form = formOf((await browser.get(`${RESET_PAGE}?token=forged`)).text);

      const refused = await browser.post(form.action, {
        ...form.fields,
        password: strongPassword(),
      });
      const bare = await browser.get(RESET_PAGE);

      expect(refused.status).toBe(400);
      expect(refused.text).toContain('This link does not work');
      expect(bare.status).toBe(400);
    });

    it('refuses the forms without this browser’s CSRF token, and changes nothing', async () => {
      const user = await register(t.http);
      const token = await resetToken(user.email);
      const mine = new Browser(t.http);
      const attacker = new Browser(t.http);
      const form = formOf((await mine.get(`${RESET_PAGE}?token=${token}`)).text);
      const theirs = formOf((await attacker.get(`${RESET_PAGE}?token=${token}`)).text);
      const password = strongPassword();

      const missing = await mine.post(RESET_PAGE, { token, password });
      const foreign = await mine.post(RESET_PAGE, { ...theirs.fields, password });
      const noCookie = await t.http
        .post(RESET_PAGE)
        .type('form')
        .send({ ...form.fields, password });
      const forgotForged = await mine.post('/account/forgot-password', {
        csrf_token: theirs.fields.csrf_token,
        email: user.email,
      });

      for (const response of [missing, foreign, noCookie, forgotForged]) {
        expect(response.status).toBe(403);
        expect(response.text).toContain('Request refused');
      }
      expect((await mine.post(form.action, { ...form.fields, password })).status).toBe(200);
    });

    it('links to the forgot-password page from the sign-in page', async () => {
      const page = await t.http.get('/account/forgot-password').expect(200);
      expect(page.text).toContain('<label for="email">Email</label>');
    });
  });

  it('never writes a reset token or a reset link to the log when mail goes by SMTP', async () => {
    const user = await register(t.http);
    const token = await resetToken(user.email);
    await reset(token, strongPassword()).expect(204);

    expect(log.text.length).toBeGreaterThan(0);
    expect(log.text).not.toContain(token);
    expect(log.text).not.toContain(RESET_PAGE + '?');
  });
});

describe('password reset: MAIL_IP', () => {
  const t = useTestApp({ env: { THROTTLE_MAIL_IP: '2/3600' } });

  it('refuses a client IP beyond its mail requests with 429 and Retry-After, API and page alike', async () => {
    const email = newUser().email;
    await t.http.post('/auth/password/forgot').send({ email }).expect(202);
    await t.http.post('/auth/password/forgot').send({ email }).expect(202);

    const refused = await t.http.post('/auth/password/forgot').send({ email });
    const page = await t.http.post('/account/forgot-password').type('form').send({ email });

    expectRetryAfter(refused, 3600);
    expectProblem(refused, 429);
    expect(page.status).toBe(429);
  });
});

function expectPageHeaders(response: supertest.Response): void {
  expect(response.status, response.text).toBe(200);
  expect(response.headers['content-security-policy']).toMatch(/^default-src 'none'; /);
  expect(response.headers['referrer-policy']).toBe('no-referrer');
  expect(response.headers['cache-control']).toBe('no-store');
}
