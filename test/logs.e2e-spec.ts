import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailService } from '../src/mail/mail.service.js';
import { OutboxWorker } from '../src/outbox/outbox.worker.js';
import { ADMIN } from './support/app.js';
import { CapturedLog } from './support/captured-log.js';
import {
  adminTokens,
  bearer,
  DEVICE_COOKIE,
  deviceCookieOf,
  expectRetryAfter,
  newUser,
  register,
  type Tokens,
} from './support/factories.js';
import { basicAuth, refreshTokens } from './support/lifecycle.js';
import { SmtpSink } from './support/smtp-sink.js';
import { type AppHandle, useTestApp } from './support/test-app.js';

/**
 * Issue 9, point 1: structured logs. One line per request, one named event
 * per security-relevant action, and never a credential: a full run of the
 * API is captured, in JSON and in pretty text, and searched for every secret
 * it used. A login name with CR/LF and ANSI escapes cannot forge or colour a
 * line in either format.
 */

const METRICS_TOKEN = randomBytes(32).toString('base64url');
const KEY_ENCRYPTION_SECRET = `log-test-key-encryption-${randomBytes(16).toString('hex')}`;
/** A login name that tries to end the line, write a fake one, and colour the output. */
const FORGED_LINE = '{"level":"info","msg":"forged entry"}';
const EVIL_LOGIN = `mallory\r\n${FORGED_LINE}\n\u001b[31mRED\u001b[0m`;

/** Mails go over SMTP: then no link in a mail, and no SMTP password, may reach the log. */
let sink: SmtpSink;
beforeAll(async () => {
  sink = await SmtpSink.start();
});
afterAll(async () => {
  await sink.stop();
});

const ENV = {
  METRICS_TOKEN,
  KEY_ENCRYPTION_SECRET,
  // Low enough for the run below to hit both the per-IP limit and an account lock.
  THROTTLE_REGISTER_IP: '4/3600',
  THROTTLE_LOGIN_ACCOUNT: '3/60',
};

interface Run {
  /** Every credential the run used or saw. */
  secrets: Map<string, string>;
  /** Responses whose request ids the log must carry. */
  requestIds: Record<string, string>;
  userId: string;
  clientId: string;
}

/** Signs in, refreshes, changes a password, administers, uses clients: everything that logs. */
async function fullRun(t: AppHandle): Promise<Run> {
  const http = t.http;
  const secrets = new Map<string, string>();
  const keep = (name: string, value: string) => {
    secrets.set(name, value);
    // A JWT's signature alone is as secret as the token.
    if (value.split('.').length === 3) secrets.set(`${name} signature`, value.split('.')[2]);
  };
  const requestIds: Record<string, string> = {};
  keep('admin password', ADMIN.password);
  keep('KEY_ENCRYPTION_SECRET', KEY_ENCRYPTION_SECRET);
  keep('METRICS_TOKEN', METRICS_TOKEN);

  const user = await register(http, newUser());
  keep('password', user.password);
  const signIn = await http
    .post('/auth/login')
    .send({ username: user.username, password: user.password })
    .expect(200);
  requestIds.signIn = signIn.headers['x-request-id'];
  const first = signIn.body as Tokens;
  keep('access token', first.access_token);
  keep('refresh token', first.refresh_token);
  const deviceToken = deviceCookieOf(signIn).value;
  keep('device token', deviceToken);

  const second = await refreshTokens(http, first.refresh_token);
  keep('second access token', second.access_token);
  keep('second refresh token', second.refresh_token);
  await http.get('/users/me').set(bearer(second.access_token)).expect(200);

  const newPassword = `${user.password}-changed`;
  keep('new password', newPassword);
  await http
    .post('/users/me/password')
    .set(bearer(second.access_token))
    .set('Cookie', `${DEVICE_COOKIE}=${deviceToken}`)
    .send({ currentPassword: user.password, newPassword })
    .expect(204);

  const wrong = await http
    .post('/auth/login')
    .set('Cookie', `${DEVICE_COOKIE}=${deviceToken}`)
    .send({ username: user.username, password: `${user.password}-wrong` })
    .expect(401);
  requestIds.wrongPassword = wrong.headers['x-request-id'];
  keep('wrong password', `${user.password}-wrong`);
  for (let i = 0; i < 3; i++) {
    await http.post('/auth/login').send({ username: EVIL_LOGIN, password: 'guess' }).expect(401);
  }
  expectRetryAfter(
    await http.post('/auth/login').send({ username: EVIL_LOGIN, password: 'guess' }),
  );

  await http.post('/auth/logout').set(bearer(second.access_token)).expect(204);

  const admin = await adminTokens(http);
  keep('admin access token', admin.access_token);
  keep('admin refresh token', admin.refresh_token);
  const created = await http
    .post('/admin/clients')
    .set(bearer(admin.access_token))
    .send({ name: 'billing', roles: [] })
    .expect(201);
  requestIds.clientCreated = created.headers['x-request-id'];
  const { client_id: clientId, client_secret: clientSecret } = created.body as {
    client_id: string;
    client_secret: string;
  };
  keep('client secret', clientSecret);
  const clientToken = await http
    .post('/auth/token')
    .type('form')
    .set(basicAuth(clientId, clientSecret))
    .send({ grant_type: 'client_credentials' })
    .expect(200);
  keep('client access token', clientToken.body.access_token);
  await http.get('/auth/me').set(bearer(clientToken.body.access_token)).expect(200);

  const granted = await http
    .post('/auth/token')
    .type('form')
    .send({ grant_type: 'password', username: user.username, password: newPassword })
    .expect(200);
  keep('password grant access token', granted.body.access_token);
  keep('password grant refresh token', granted.body.refresh_token);

  // The second registration of this run; two more fill the per-IP allowance, the next is refused.
  const other = await register(http, newUser());
  await http.patch(`/admin/users/${other.id}`).set(bearer(admin.access_token)).send({
    disabled: true,
  });
  await http
    .post('/auth/login')
    .send({ username: other.username, password: other.password })
    .expect(401);
  await http.delete(`/admin/users/${other.id}`).set(bearer(admin.access_token)).expect(204);
  await http.delete(`/admin/users/${user.id}/sessions`).set(bearer(admin.access_token));
  await http.delete(`/admin/clients/${clientId}`).set(bearer(admin.access_token)).expect(204);
  await http.post('/admin/keys/rotate').set(bearer(admin.access_token)).expect(201);
  await register(http, newUser());
  await register(http, newUser());
  await http.post('/auth/register').send(newUser()).expect(429);

  await http.get('/metrics').set(bearer(METRICS_TOKEN)).expect(200);

  keep('SMTP password', sink.secret);
  const mailToken = randomBytes(32).toString('base64url');
  keep('token in a mail link', mailToken);
  const mail = t.app.get(MailService);
  const link = mail.link('/account/reset-password', { token: mailToken });
  await mail.queue(user.email, 'reset-password', {
    username: user.username,
    link,
    expiresInMinutes: 30,
  });
  await t.app.get(OutboxWorker).deliverDue();
  await sink.waitForMail(user.email);

  const hashes = await t.sql<{ password_hash: string }>('SELECT password_hash FROM users');
  hashes.forEach((row, i) => keep(`password hash ${i}`, row.password_hash));
  return { secrets, requestIds, userId: user.id, clientId };
}

function expectNoSecrets(text: string, secrets: Map<string, string>): void {
  expect(secrets.size).toBeGreaterThan(15);
  const leaked = [...secrets].filter(([, value]) => text.includes(value)).map(([name]) => name);
  expect(leaked).toEqual([]);
}

describe('logs in JSON (LOG_FORMAT=json)', () => {
  const log = new CapturedLog();
  const t = useTestApp({
    env: () => ({ ...ENV, SMTP_URL: sink.url, LOG_FORMAT: 'json' }),
    logDestination: log,
  });
  let run: Run;
  let records: Record<string, unknown>[];
  const events = (name: string) => records.filter((record) => record.event === name);

  beforeAll(async () => {
    run = await fullRun(t);
    records = log.lines().map((line) => JSON.parse(line) as Record<string, unknown>);
  });

  it('never writes a password, token, secret or hash, and redacts what reaches it whole', () => {
    expectNoSecrets(log.text, run.secrets);
    expect(log.text).not.toMatch(/authorization|set-cookie/i);
  });

  it('writes one JSON line per request: method, route pattern, status, duration, id, client IP', () => {
    const signIn = records.find((record) => record.reqId === run.requestIds.signIn && record.route);

    expect(signIn).toMatchObject({
      level: 'info',
      msg: 'request completed',
      method: 'POST',
      route: '/auth/login',
      status: 200,
      durationMs: expect.any(Number),
      ip: expect.stringMatching(/127\.0\.0\.1|::1/),
      time: expect.any(String),
    });
    const deletion = records.find((record) => record.method === 'DELETE' && record.status === 204);
    expect(deletion?.route).toBe('/admin/users/:id');
  });

  it('names each security event, with the request id, actor, subject and outcome', () => {
    expect(events('auth.sign_in.succeeded')[0]).toMatchObject({
      level: 'info',
      reqId: run.requestIds.signIn,
      outcome: 'success',
      ip: expect.stringMatching(/127\.0\.0\.1|::1/),
      actor: { type: 'user', id: run.userId },
      subject: { type: 'user', id: run.userId },
      details: { sessionId: expect.any(String) },
    });
    expect(events('client.created')[0]).toMatchObject({
      level: 'info',
      reqId: run.requestIds.clientCreated,
      actor: { type: 'user' },
      subject: { type: 'client', id: run.clientId },
    });
    for (const name of [
      'user.registered',
      'auth.refresh.succeeded',
      'user.password_changed',
      'auth.logout',
      'admin.user.updated',
      'admin.user.deleted',
      'admin.user.sessions_revoked',
      'client.deleted',
      'key.rotated',
    ]) {
      expect(events(name), name).not.toEqual([]);
    }
  });

  it('gives the operator the reason a sign-in failed, as a warning', () => {
    const reasons = events('auth.sign_in.failed').map((record) => record.reason);

    expect(reasons).toEqual(
      expect.arrayContaining(['wrong_password', 'unknown_user', 'locked', 'disabled']),
    );
    expect(events('auth.sign_in.failed').every((record) => record.level === 'warn')).toBe(true);
    expect(events('auth.sign_in.failed')).toContainEqual(
      expect.objectContaining({
        reqId: run.requestIds.wrongPassword,
        reason: 'wrong_password',
        subject: { type: 'user', id: run.userId },
        details: expect.objectContaining({ knownDevice: true }),
      }),
    );
    expect(events('auth.sign_in.failed')).toContainEqual(
      expect.objectContaining({
        reason: 'locked',
        details: expect.objectContaining({ limit: 'login_account' }),
      }),
    );
  });

  it('names the per-IP limit that refused a request', () => {
    expect(events('rate_limit.exceeded')).toEqual([
      expect.objectContaining({ level: 'warn', details: { limit: 'register_ip' } }),
    ]);
  });

  it('keeps a login name with CR/LF and ANSI escapes inside its own line, escaped', () => {
    expect(log.text).not.toContain('\r');
    expect(log.text).not.toContain('\u001b');
    expect(records.some((record) => record.msg === 'forged entry')).toBe(false);
    const attempts = events('auth.sign_in.failed').filter(
      (record) => (record.details as { login?: string }).login === EVIL_LOGIN,
    );
    expect(attempts).toHaveLength(4);
  });
});

describe('logs in pretty text (LOG_FORMAT=text)', () => {
  const log = new CapturedLog();
  const t = useTestApp({
    env: () => ({ ...ENV, SMTP_URL: sink.url, LOG_FORMAT: 'text' }),
    logDestination: log,
  });
  let run: Run;

  beforeAll(async () => {
    run = await fullRun(t);
  });

  it('never writes a password, token, secret or hash', () => {
    expectNoSecrets(log.text, run.secrets);
    expect(log.text).not.toMatch(/authorization|set-cookie/i);
  });

  it('prints the request lines and events as text', () => {
    expect(log.text).toMatch(/INFO.*: request completed/);
    const signIn = log
      .lines()
      .filter((line) => line.includes(`"reqId":"${run.requestIds.signIn}"`));
    expect(signIn).toEqual([
      expect.stringMatching(/INFO: security event .*"event":"auth\.sign_in\.succeeded"/),
      expect.stringMatching(/INFO: request completed .*"route":"\/auth\/login","status":200/),
    ]);
    expect(log.lines().some((line) => line.startsWith('{'))).toBe(false);
  });

  it('cannot be given a line or a colour by a login name', () => {
    expect(log.text).not.toContain('\r');
    expect(log.text).not.toContain('\u001b');
    expect(log.lines().filter((line) => line.includes('forged entry'))).toHaveLength(4);
    for (const line of log.lines().filter((line) => line.includes('forged entry'))) {
      expect(line).toContain('mallory\\r\\n');
    }
  });
});
