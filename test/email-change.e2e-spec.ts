import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Mailbox, pathIn, tokenIn } from './support/account-mail.js';
import { Browser, formOf } from './support/browser.js';
import {
  bearer,
  expectProblem,
  expectRetryAfter,
  invalidFields,
  login,
  loginStatus,
  newUser,
  signUp,
  type SignedInUser,
} from './support/factories.js';
import { SmtpSink } from './support/smtp-sink.js';
import { type AppHandle, useTestApp } from './support/test-app.js';

/**
 * Issue 11, point 4 (and its limits and events): POST /users/me/email with
 * the password; a confirmation link to the new address, a notice with a
 * report link to the old; nothing changes until confirmed; a taken address
 * gives the same answer and no link.
 */

const CONFIRM_PAGE = '/account/verify-email';
const REPORT_PAGE = '/account/report-email-change';
const CONFIRM = 'Confirm your new e-mail address';
const NOTICE = 'Your e-mail address is being changed';
const IN_USE = 'Your e-mail address was entered again';

let sink: SmtpSink;
beforeAll(async () => {
  sink = await SmtpSink.start();
});
afterAll(async () => {
  await sink.stop();
});

const requestChange = (t: AppHandle, user: SignedInUser, body: object) =>
  t.http.post('/users/me/email').set(bearer(user.tokens.access_token)).send(body);

const auditActions = async (t: AppHandle, userId: string) =>
  (
    await t.sql<{ action: string }>(
      `SELECT action FROM audit_events WHERE subject_id = $1 ORDER BY occurred_at, id`,
      [userId],
    )
  ).map((row) => row.action);

describe('e-mail change', () => {
  const t = useTestApp({ env: () => ({ SMTP_URL: sink.url }) });
  const mailbox = new Mailbox(t, () => sink);
  const profile = async (user: SignedInUser) =>
    (await t.http.get('/users/me').set(bearer(user.tokens.access_token)).expect(200)).body;

  it('mails a link to the new address and a notice to the old; the change waits for the link', async () => {
    const user = await signUp(t.http);
    const email = newUser().email;

    await requestChange(t, user, { email, password: user.password }).expect(202);

    const confirm = await mailbox.next(email, CONFIRM);
    const notice = await mailbox.next(user.email, NOTICE);
    expect(confirm.text).toContain(email);
    expect(notice.text).toContain(email);
    expect(await profile(user)).toMatchObject({ email: user.email });

    await t.http
      .post('/auth/email/verify')
      .send({ token: tokenIn(confirm, CONFIRM_PAGE) })
      .expect(204);

    expect(await profile(user)).toMatchObject({ email, emailVerified: true });
    await login(t.http, email, user.password);
    expect(await loginStatus(t.http, user.email, user.password)).toBe(401);
    expect(await auditActions(t, user.id)).toEqual(
      expect.arrayContaining(['email.change_requested', 'email.changed']),
    );
    expectProblem(
      await t.http.post('/auth/email/verify').send({ token: tokenIn(confirm, CONFIRM_PAGE) }),
      400,
    );
  });

  it('confirms on the hosted page with the CSRF token', async () => {
    const user = await signUp(t.http);
    const email = newUser().email;
    await requestChange(t, user, { email, password: user.password }).expect(202);
    const browser = new Browser(t.http);

    const page = await browser.get(pathIn(await mailbox.next(email, CONFIRM), CONFIRM_PAGE));
    expect(await profile(user)).toMatchObject({ email: user.email });
    const form = formOf(page.text);
    expect((await new Browser(t.http).post(form.action, form.fields)).status).toBe(403);
    const done = await browser.post(form.action, form.fields);

    expect(done.status, done.text).toBe(200);
    expect(done.text).toContain('Address changed');
    expect(await profile(user)).toMatchObject({ email, emailVerified: true });
  });

  it('cancels the pending change from the report link on the hosted page, and records it', async () => {
    const user = await signUp(t.http);
    const email = newUser().email;
    await requestChange(t, user, { email, password: user.password }).expect(202);
    const confirmToken = tokenIn(await mailbox.next(email, CONFIRM), CONFIRM_PAGE);
    const notice = await mailbox.next(user.email, NOTICE);
    const browser = new Browser(t.http);

    const page = await browser.get(pathIn(notice, REPORT_PAGE));
    expect(page.status).toBe(200);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    const form = formOf(page.text);
    expect(form.action).toBe(REPORT_PAGE);
    const done = await browser.post(form.action, form.fields);

    expect(done.status, done.text).toBe(200);
    expect(done.text).toContain('Change reported');
    expectProblem(await t.http.post('/auth/email/verify').send({ token: confirmToken }), 400);
    expect(await profile(user)).toMatchObject({ email: user.email });
    expect(await auditActions(t, user.id)).toContain('email.change_reported');
    const reportAgain = await t.http
      .post('/auth/email/change/report')
      .send({ token: tokenIn(notice, REPORT_PAGE) });
    expectProblem(reportAgain, 400);
  });

  it('reports through the API too', async () => {
    const user = await signUp(t.http);
    const email = newUser().email;
    await requestChange(t, user, { email, password: user.password }).expect(202);
    const confirmToken = tokenIn(await mailbox.next(email, CONFIRM), CONFIRM_PAGE);
    const notice = await mailbox.next(user.email, NOTICE);

    await t.http
      .post('/auth/email/change/report')
      .send({ token: tokenIn(notice, REPORT_PAGE) })
      .expect(204);

    expectProblem(await t.http.post('/auth/email/verify').send({ token: confirmToken }), 400);
  });

  it('answers a taken address the same (202), mailing its owner instead of a link', async () => {
    const user = await signUp(t.http);
    const owner = await signUp(t.http);

    await requestChange(t, user, { email: owner.email, password: user.password }).expect(202);

    const inUse = await mailbox.next(owner.email, IN_USE);
    expect(inUse.text).not.toContain('token=');
    expect(sink.mailsTo(owner.email).some((m) => m.subject?.includes(CONFIRM))).toBe(false);
    expect(sink.mailsTo(user.email).some((m) => m.subject?.includes(NOTICE))).toBe(false);
    expect(await profile(user)).toMatchObject({ email: user.email });
  });

  it('answers 409 when the new address was taken between the request and the confirmation', async () => {
    const first = await signUp(t.http);
    const second = await signUp(t.http);
    const email = newUser().email;
    await requestChange(t, first, { email, password: first.password }).expect(202);
    const firstToken = tokenIn(await mailbox.next(email, CONFIRM), CONFIRM_PAGE);
    await requestChange(t, second, { email, password: second.password }).expect(202);
    const secondToken = tokenIn(await mailbox.next(email, CONFIRM), CONFIRM_PAGE);

    await t.http.post('/auth/email/verify').send({ token: firstToken }).expect(204);
    const lost = await t.http.post('/auth/email/verify').send({ token: secondToken });

    expect(expectProblem(lost, 409).detail).toMatch(/already registered/);
    expect(await profile(second)).toMatchObject({ email: second.email });
  });

  it('voids the older confirmation link when a newer change is asked for', async () => {
    const user = await signUp(t.http);
    const [older, newer] = [newUser().email, newUser().email];
    await requestChange(t, user, { email: older, password: user.password }).expect(202);
    const olderToken = tokenIn(await mailbox.next(older, CONFIRM), CONFIRM_PAGE);
    await requestChange(t, user, { email: newer, password: user.password }).expect(202);
    const newerToken = tokenIn(await mailbox.next(newer, CONFIRM), CONFIRM_PAGE);

    expectProblem(await t.http.post('/auth/email/verify').send({ token: olderToken }), 400);
    await t.http.post('/auth/email/verify').send({ token: newerToken }).expect(204);
    expect(await profile(user)).toMatchObject({ email: newer });
  });

  it('refuses a wrong password (400 naming it, recorded), the current address, and unknown fields', async () => {
    const user = await signUp(t.http);
    const email = newUser().email;
    const queued = await mailbox.queued();

    const wrong = await requestChange(t, user, { email, password: 'not-the-password' });
    expect(invalidFields(wrong)).toEqual(['password']);
    const same = await requestChange(t, user, { email: user.email, password: user.password });
    expect(invalidFields(same), JSON.stringify(same.body)).toEqual(['email']);
    const extra = await requestChange(t, user, { email, password: user.password, verified: true });
    expect(invalidFields(extra)).toEqual(['verified']);
    expect(invalidFields(await requestChange(t, user, { email }))).toEqual(['password']);
    const injected = await requestChange(t, user, {
      email: `${email}\r\nBcc: x@example.com`,
      password: user.password,
    });
    expect(invalidFields(injected)).toEqual(['email']);

    expect(await mailbox.queued()).toBe(queued);
    expect(await auditActions(t, user.id)).toContain('auth.reauthentication.failed');
    expectProblem(await t.http.post('/users/me/email').send({ email, password: 'x' }), 401);
  });
});

describe('e-mail change: the sign-in allowance', () => {
  const t = useTestApp({ env: () => ({ SMTP_URL: sink.url, THROTTLE_LOGIN_ACCOUNT: '2/60' }) });

  it('counts wrong passwords against the account allowance that sign-in uses', async () => {
    const user = await signUp(t.http);
    const email = newUser().email;

    expectProblem(await requestChange(t, user, { email, password: 'wrong-password-1' }), 400);
    const ended = await requestChange(t, user, { email, password: 'wrong-password-2' });

    expectProblem(ended, 401);
    expectProblem(await t.http.get('/users/me').set(bearer(user.tokens.access_token)), 401);
    expect(await loginStatus(t.http, user.username, user.password)).toBe(429);
  });
});

describe('e-mail change: the mail limits', () => {
  const t = useTestApp({
    env: () => ({
      SMTP_URL: sink.url,
      THROTTLE_MAIL_ADDRESS: '1/3600',
      THROTTLE_MAIL_IP: '4/3600',
    }),
  });
  const mailbox = new Mailbox(t, () => sink);

  it('mails a new address once per THROTTLE_MAIL_ADDRESS (same 202), then 429 past THROTTLE_MAIL_IP', async () => {
    const user = await signUp(t.http);
    const email = newUser().email;
    await requestChange(t, user, { email, password: user.password }).expect(202);
    await mailbox.next(email, CONFIRM);
    const queued = await mailbox.queued();

    await requestChange(t, user, { email, password: user.password }).expect(202);
    expect(await mailbox.queued()).toBe(queued);

    await requestChange(t, user, { email: newUser().email, password: user.password }).expect(202);
    await requestChange(t, user, { email: newUser().email, password: user.password }).expect(202);
    const refused = await requestChange(t, user, {
      email: newUser().email,
      password: user.password,
    });
    expectProblem(refused, 429);
    expectRetryAfter(refused, 3600);
  });
});
