import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Mailbox, pathIn, tokenIn } from './support/account-mail.js';
import { Browser, formOf } from './support/browser.js';
import {
  adminTokens,
  bearer,
  decodeJwt,
  expectProblem,
  expectRetryAfter,
  invalidFields,
  login,
  newUser,
  register,
} from './support/factories.js';
import { SmtpSink } from './support/smtp-sink.js';
import { useTestApp } from './support/test-app.js';

/**
 * Issue 11, point 2 (and its limits and events): registration mails a
 * verification link; the API and the hosted page spend it; the address
 * shows as verified in /users/me, the ID token and userinfo; with
 * REQUIRE_EMAIL_VERIFICATION, sign-in waits for it on every path.
 */

const PAGE = '/account/verify-email';
const VERIFY_SUBJECT = 'Confirm your e-mail address';

let sink: SmtpSink;
beforeAll(async () => {
  sink = await SmtpSink.start();
});
afterAll(async () => {
  await sink.stop();
});

/** A registered user and the token of their verification mail. */
async function registered(t: ReturnType<typeof useTestApp>, mailbox: Mailbox) {
  const user = await register(t.http, newUser());
  const mail = await mailbox.next(user.email, VERIFY_SUBJECT);
  return { user, mail, token: tokenIn(mail, PAGE) };
}

describe('e-mail verification', () => {
  const t = useTestApp({ env: () => ({ SMTP_URL: sink.url }) });
  const mailbox = new Mailbox(t, () => sink);
  const me = async (user: { username: string; password: string }) => {
    const tokens = await login(t.http, user.username, user.password);
    return (await t.http.get('/users/me').set(bearer(tokens.access_token)).expect(200)).body;
  };

  it('mails a link on registration; POST /auth/email/verify marks the address verified', async () => {
    const { user, mail, token } = await registered(t, mailbox);
    expect(mail.text).toContain(`Hello ${user.username}`);
    expect(await me(user)).toMatchObject({ emailVerified: false, emailVerifiedAt: null });

    await t.http.post('/auth/email/verify').send({ token }).expect(204);

    const profile = await me(user);
    expect(profile.emailVerified).toBe(true);
    expect(new Date(profile.emailVerifiedAt).getTime()).not.toBeNaN();
    const events = await t.sql<{ action: string }>(
      `SELECT action FROM audit_events WHERE subject_id = $1 ORDER BY occurred_at, id`,
      [user.id],
    );
    expect(events.map((e) => e.action)).toEqual(
      expect.arrayContaining(['user.registered', 'email.verification_sent', 'email.verified']),
    );
  });

  it('refuses a used, expired or forged token with one answer (400)', async () => {
    const { token } = await registered(t, mailbox);
    await t.http.post('/auth/email/verify').send({ token }).expect(204);
    const reused = expectProblem(await t.http.post('/auth/email/verify').send({ token }), 400);
    expect(reused.type).toBe('invalid_account_token');

    const { token: late } = await registered(t, mailbox);
    t.clock().advance(24 * 3600);
    const expired = expectProblem(
      await t.http.post('/auth/email/verify').send({ token: late }),
      400,
    );
    t.clock().reset();
    expect(expired.detail).toBe(reused.detail);

    for (const forged of ['A'.repeat(43), 'short', `${late}A`]) {
      const response = await t.http.post('/auth/email/verify').send({ token: forged });
      expect(expectProblem(response, 400).detail).toBe(reused.detail);
    }
  });

  it('rejects unknown or malformed fields', async () => {
    const { token } = await registered(t, mailbox);
    const extra = await t.http.post('/auth/email/verify').send({ token, userId: 'x' });
    expectProblem(extra, 400);
    expect(invalidFields(extra)).toEqual(['userId']);
    const huge = await t.http.post('/auth/email/verify').send({ token: 'x'.repeat(5000) });
    expectProblem(huge, 400);
    expect(invalidFields(huge)).toEqual(['token']);
    expect(invalidFields(await t.http.post('/auth/email/verify').send({}))).toEqual(['token']);
  });

  it('resends on request (202); the newer link voids the older; verified accounts get 409', async () => {
    const { user, token: first } = await registered(t, mailbox);
    const tokens = await login(t.http, user.username, user.password);
    const unauthenticated = await t.http.post('/auth/email/verification');
    expectProblem(unauthenticated, 401);

    await t.http.post('/auth/email/verification').set(bearer(tokens.access_token)).expect(202);
    const second = tokenIn(await mailbox.next(user.email, VERIFY_SUBJECT), PAGE);

    expectProblem(await t.http.post('/auth/email/verify').send({ token: first }), 400);
    await t.http.post('/auth/email/verify').send({ token: second }).expect(204);
    const again = await t.http.post('/auth/email/verification').set(bearer(tokens.access_token));
    expectProblem(again, 409);
  });

  it('verifies on the hosted page: the GET changes nothing, the POST needs the CSRF token', async () => {
    const { user, mail } = await registered(t, mailbox);
    const browser = new Browser(t.http);

    const page = await browser.get(pathIn(mail, PAGE));
    expect(page.status, page.text).toBe(200);
    expect(page.headers).toMatchObject({
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
    expect(page.headers['content-security-policy']).toContain(`default-src 'none'`);
    expect((await me(user)).emailVerified).toBe(false);
    const form = formOf(page.text);
    expect(form.action).toBe(PAGE);

    const forged = await new Browser(t.http).post(form.action, form.fields);
    expect(forged.status).toBe(403);
    const withoutToken = await browser.post(form.action, { token: form.fields.token });
    expect(withoutToken.status).toBe(403);
    expect((await me(user)).emailVerified).toBe(false);

    const done = await browser.post(form.action, form.fields);
    expect(done.status, done.text).toBe(200);
    expect(done.text).toContain('Address verified');
    expect((await me(user)).emailVerified).toBe(true);
    const replay = await browser.post(form.action, form.fields);
    expect(replay.status).toBe(400);
    expect(replay.text).toContain('Link not valid');
  });

  it('shows the error page for a link without a usable token, and escapes nothing into it', async () => {
    const browser = new Browser(t.http);
    for (const query of ['', '?token=', '?token=%3Cscript%3E', `?token=${'A'.repeat(44)}`]) {
      const page = await browser.get(`${PAGE}${query}`);
      expect(page.status).toBe(400);
      expect(page.text).not.toContain('<script>');
    }
  });

  it('puts email_verified in the ID token and userinfo from the stored verification', async () => {
    const { user, token } = await registered(t, mailbox);
    const claims = async () => {
      const tokens = await idTokens(t, user);
      const info = await t.http.get('/oauth/userinfo').set(bearer(tokens.access_token)).expect(200);
      return { id: decodeJwt(tokens.id_token).payload.email_verified, info: info.body };
    };
    expect(await claims()).toMatchObject({ id: false, info: { email_verified: false } });

    await t.http.post('/auth/email/verify').send({ token }).expect(204);

    expect(await claims()).toMatchObject({ id: true, info: { email_verified: true } });
  });

  it('shows emailVerified to admins, who can set it and change the address (unverified unless said)', async () => {
    const { user } = await registered(t, mailbox);
    const admin = bearer((await adminTokens(t.http)).access_token);
    const patch = (body: object) => t.http.patch(`/admin/users/${user.id}`).set(admin).send(body);

    expect((await patch({ emailVerified: true }).expect(200)).body.emailVerified).toBe(true);
    const moved = newUser().email;
    expect((await patch({ email: moved }).expect(200)).body).toMatchObject({
      email: moved,
      emailVerified: false,
    });
    const verified = newUser().email;
    expect((await patch({ email: verified, emailVerified: true }).expect(200)).body).toMatchObject({
      email: verified,
      emailVerified: true,
    });
    const other = await register(t.http, newUser());
    expectProblem(await patch({ email: other.email }), 409);
    const events = await t.sql<{ action: string }>(
      `SELECT action FROM audit_events WHERE subject_id = $1 AND action LIKE 'admin.user.email%'`,
      [user.id],
    );
    expect(events.map((e) => e.action).sort()).toEqual([
      'admin.user.email_changed',
      'admin.user.email_changed',
      'admin.user.email_verification_set',
    ]);
  });
});

describe('mail limits on resending', () => {
  const t = useTestApp({
    env: () => ({
      SMTP_URL: sink.url,
      THROTTLE_MAIL_ADDRESS: '2/3600',
      THROTTLE_MAIL_IP: '4/3600',
    }),
  });
  const mailbox = new Mailbox(t, () => sink);

  it('sends THROTTLE_MAIL_ADDRESS mails per address (same 202 beyond), then 429 past THROTTLE_MAIL_IP', async () => {
    const { user } = await registered(t, mailbox);
    const tokens = await login(t.http, user.username, user.password);
    const resend = () => t.http.post('/auth/email/verification').set(bearer(tokens.access_token));

    await resend().expect(202);
    await resend().expect(202);
    await mailbox.next(user.email, VERIFY_SUBJECT);
    await mailbox.next(user.email, VERIFY_SUBJECT);
    const queued = await mailbox.queued();
    await resend().expect(202);
    expect(await mailbox.queued()).toBe(queued);

    await resend().expect(202);
    const refused = await resend();
    expectProblem(refused, 429);
    expectRetryAfter(refused, 3600);
  });
});

describe('REQUIRE_EMAIL_VERIFICATION=true', () => {
  const t = useTestApp({ env: () => ({ SMTP_URL: sink.url, REQUIRE_EMAIL_VERIFICATION: 'true' }) });
  const mailbox = new Mailbox(t, () => sink);

  it('refuses REST login with 403 email_not_verified only after the right password, and mails a fresh link', async () => {
    const { user, token: first } = await registered(t, mailbox);
    const wrong = await t.http
      .post('/auth/login')
      .send({ username: user.username, password: 'x'.repeat(12) });
    expectProblem(wrong, 401);

    const refused = await t.http
      .post('/auth/login')
      .send({ username: user.username, password: user.password });

    const problem = expectProblem(refused, 403);
    expect(problem.type).toBe('email_not_verified');
    expect(problem.detail).toMatch(/verify.*e-mail.*link/i);
    expect(refused.body.access_token).toBeUndefined();
    const fresh = tokenIn(await mailbox.next(user.email, VERIFY_SUBJECT), PAGE);
    expectProblem(await t.http.post('/auth/email/verify').send({ token: first }), 400);
    await t.http.post('/auth/email/verify').send({ token: fresh }).expect(204);
    await login(t.http, user.username, user.password);
  });

  it('refuses the password grant with invalid_grant and the same description', async () => {
    const { user, token } = await registered(t, mailbox);
    const grant = () =>
      t.http
        .post('/auth/token')
        .type('form')
        .send({ grant_type: 'password', username: user.username, password: user.password });

    const refused = await grant();
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: 'invalid_grant' });
    expect(refused.body.error_description).toMatch(/verify.*e-mail/i);
    const fresh = tokenIn(await mailbox.next(user.email, VERIFY_SUBJECT), PAGE);

    expectProblem(await t.http.post('/auth/email/verify').send({ token }), 400);
    await t.http.post('/auth/email/verify').send({ token: fresh }).expect(204);
    expect((await grant()).status).toBe(200);
  });

  it('shows the hosted sign-in page again with the message, and signs in once verified', async () => {
    const { user, token } = await registered(t, mailbox);
    const client = await codeFlowClient(t);
    const browser = new Browser(t.http);
    const signIn = async () => {
      const form = formOf((await browser.get(authorizeUrl(client))).text);
      return browser.post(form.action, {
        ...form.fields,
        username: user.username,
        password: user.password,
      });
    };

    const refused = await signIn();
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('not verified yet');
    // The refusal mailed a newer link, which voids the first.
    const fresh = tokenIn(await mailbox.next(user.email, VERIFY_SUBJECT), PAGE);
    expectProblem(await t.http.post('/auth/email/verify').send({ token }), 400);

    await t.http.post('/auth/email/verify').send({ token: fresh }).expect(204);

    expect((await signIn()).status).toBe(303);
  });

  it('lets the bootstrap admin (an address the operator configured) sign in', async () => {
    await adminTokens(t.http);
  });
});

/** A first-party public client for the code flow. */
async function codeFlowClient(t: ReturnType<typeof useTestApp>): Promise<string> {
  const admin = bearer((await adminTokens(t.http)).access_token);
  const response = await t.http
    .post('/admin/clients')
    .set(admin)
    .send({
      client_name: 'Verification spec',
      redirect_uris: [CALLBACK],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'none',
      first_party: true,
    })
    .expect(201);
  return response.body.client_id as string;
}

const CALLBACK = 'https://app.example.com/callback';
const VERIFIER = 'v'.repeat(43);
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');

function authorizeUrl(clientId: string): string {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: CALLBACK,
    scope: 'openid email',
    state: 'state-1',
    nonce: 'nonce-1',
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
  });
  return `/oauth/authorize?${query}`;
}

/** Signs the user in on the hosted page and redeems the code: an ID token and access token. */
async function idTokens(
  t: ReturnType<typeof useTestApp>,
  user: { username: string; password: string },
): Promise<{ id_token: string; access_token: string }> {
  const client = await codeFlowClient(t);
  const browser = new Browser(t.http);
  const form = formOf((await browser.get(authorizeUrl(client))).text);
  const answer = await browser.post(form.action, {
    ...form.fields,
    username: user.username,
    password: user.password,
  });
  expect(answer.status, answer.text).toBe(303);
  const code = new URL(answer.headers.location).searchParams.get('code')!;
  const tokens = await t.http
    .post('/auth/token')
    .type('form')
    .send({
      grant_type: 'authorization_code',
      code,
      redirect_uri: CALLBACK,
      code_verifier: VERIFIER,
      client_id: client,
    })
    .expect(200);
  return tokens.body;
}
