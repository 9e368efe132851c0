import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxWorker, OUTBOX_LEASE_MS } from '../src/outbox/outbox.worker.js';
import { FIRST_RETRY_MS } from '../src/outbox/retry-delay.js';
import { realServices } from './support/app.js';
import { login, loginStatus, signUp, type SignedInUser } from './support/factories.js';
import { refreshStatus, refreshTokens, sessionIdOf } from './support/lifecycle.js';
import { type AppHandle, useTestApp } from './support/test-app.js';
import { verifyWebhookSignature, WebhookReceiver } from './support/webhook-receiver.js';

/**
 * Issue 9, point 3: a refresh-token reuse is delivered to SECURITY_WEBHOOK_URL
 * as a signed JSON call, from an outbox row written in the transaction that
 * revokes the session, retried with backoff, once per event across instances.
 */

const SECRET = randomBytes(32).toString('base64url');
const REUSE = 'auth.refresh.reuse_detected';

interface Reuse {
  user: SignedInUser;
  sessionId: string;
}

/** Signs up, rotates once, then presents the spent refresh token again. */
async function reuse(t: AppHandle): Promise<Reuse> {
  const user = await signUp(t.http);
  await refreshTokens(t.http, user.tokens.refresh_token);
  expect(await refreshStatus(t.http, user.tokens.refresh_token)).toBe(401);
  return { user, sessionId: sessionIdOf(user.tokens.access_token) };
}

const deliverDue = (t: AppHandle) => t.app.get(OutboxWorker).deliverDue();

/** Claims what is due, as a worker does, and returns the webhook messages among it (registration also queues a mail). */
const claimWebhooks = async (t: AppHandle) =>
  (await t.app.get(OutboxWorker).claimDue()).filter(
    (message) => message.kind === 'security_webhook',
  );

/** The webhook rows of a session, oldest first. */
const outboxRows = (t: AppHandle, sessionId: string) =>
  t.sql<{ attempts: number; delivered_at: Date | null; last_error: string | null }>(
    `SELECT attempts, delivered_at, last_error FROM outbox_messages
     WHERE kind = 'security_webhook' AND payload -> 'details' ->> 'sessionId' = $1
     ORDER BY created_at`,
    [sessionId],
  );

const revokedReason = async (t: AppHandle, sessionId: string) =>
  (
    await t.sql<{ reasons: string[] }>(
      `SELECT array_agg(DISTINCT coalesce(revoked_reason, 'live')) AS reasons
       FROM refresh_sessions WHERE family_id = $1`,
      [sessionId],
    )
  )[0].reasons;

const eventIdOf = (call: { headers: Record<string, unknown> }) => call.headers['x-event-id'];

describe('the security webhook', () => {
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await receiver.stop();
  });
  const t = useTestApp({
    env: () => ({ SECURITY_WEBHOOK_URL: receiver.url, SECURITY_WEBHOOK_SECRET: SECRET }),
  });
  const callsFor = (sessionId: string) =>
    receiver.calls.filter((call) => call.body.includes(sessionId));

  it('delivers a reuse as one signed JSON call that a receiver can verify', async () => {
    const { user, sessionId } = await reuse(t);

    await deliverDue(t);
    await expect.poll(() => callsFor(sessionId).length).toBe(1);

    const [call] = callsFor(sessionId);
    const now = Math.floor(Date.now() / 1000);
    expect(call.headers['content-type']).toBe('application/json');
    expect(
      verifyWebhookSignature(SECRET, call.headers['x-signature'] as string, call.body, now),
    ).toBe(true);
    const body = JSON.parse(call.body) as Record<string, unknown>;
    expect(body).toMatchObject({
      id: eventIdOf(call),
      event: REUSE,
      outcome: 'failure',
      subject: { type: 'user', id: user.id },
      details: { sessionId },
    });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(body.time as string)).toBeGreaterThan(Date.now() - 60_000);
    expect(body).toHaveProperty('actor');
    expect(body).toHaveProperty('requestId');
    for (const secret of [
      user.tokens.refresh_token,
      user.tokens.access_token,
      user.password,
      SECRET,
    ]) {
      expect(call.body).not.toContain(secret);
    }
    expect(await outboxRows(t, sessionId)).toEqual([
      expect.objectContaining({ attempts: 1, delivered_at: expect.any(Date), last_error: null }),
    ]);
  });

  it('has a signature that fails for another body, another secret or an old timestamp', async () => {
    const { sessionId } = await reuse(t);
    await deliverDue(t);
    await expect.poll(() => callsFor(sessionId).length).toBe(1);
    const [{ headers, body }] = callsFor(sessionId);
    const signature = headers['x-signature'] as string;
    const now = Math.floor(Date.now() / 1000);

    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(SECRET, signature, body.replace('failure', 'success'), now)).toBe(
      false,
    );
    expect(
      verifyWebhookSignature(randomBytes(32).toString('base64url'), signature, body, now),
    ).toBe(false);
    expect(verifyWebhookSignature(SECRET, signature, body, now + 301)).toBe(false);
  });

  it('sends nothing for events it is not subscribed to, and for a routine refresh', async () => {
    const user = await signUp(t.http);
    await refreshTokens(t.http, user.tokens.refresh_token);
    expect(await loginStatus(t.http, user.username, 'wrong password 1234')).toBe(401);

    await deliverDue(t);

    expect(receiver.calls.filter((call) => call.body.includes(user.id))).toEqual([]);
  });

  it('retries a receiver answering 500 after the backoff, then delivers the same event once', async () => {
    receiver.status = 500;
    const { sessionId } = await reuse(t);

    await deliverDue(t);
    await expect.poll(() => callsFor(sessionId).length).toBe(1);
    await deliverDue(t);
    expect(callsFor(sessionId)).toHaveLength(1);
    expect(await outboxRows(t, sessionId)).toEqual([
      expect.objectContaining({ delivered_at: null, last_error: 'the receiver answered 500' }),
    ]);

    receiver.status = 204;
    t.clock().advance(FIRST_RETRY_MS / 1000 + 1);
    await deliverDue(t);
    await expect.poll(() => callsFor(sessionId).length).toBe(2);
    t.clock().advance(3600);
    await deliverDue(t);

    const calls = callsFor(sessionId);
    expect(calls).toHaveLength(2);
    expect(eventIdOf(calls[1])).toBe(eventIdOf(calls[0]));
    expect(calls[1].body).toBe(calls[0].body);
    expect(await outboxRows(t, sessionId)).toEqual([
      expect.objectContaining({ attempts: 2, delivered_at: expect.any(Date), last_error: null }),
    ]);
  });

  it('keeps the event while the receiver is down and delivers it when it is back', async () => {
    await receiver.stop();
    const { sessionId } = await reuse(t);

    await deliverDue(t);
    await expect
      .poll(async () => (await outboxRows(t, sessionId))[0]?.last_error)
      .toMatch(/fetch failed|ECONNREFUSED/);

    await receiver.listen();
    t.clock().advance(FIRST_RETRY_MS / 1000 + 1);
    await deliverDue(t);

    await expect.poll(() => callsFor(sessionId).length).toBe(1);
    expect((await outboxRows(t, sessionId))[0].delivered_at).toEqual(expect.any(Date));
  });

  it('answers sign-ins and refreshes while a delivery hangs: no request waits for the receiver', async () => {
    receiver.hold = true;
    const { sessionId } = await reuse(t);
    const delivering = deliverDue(t);
    await expect.poll(() => callsFor(sessionId).length).toBe(1);

    const user = await signUp(t.http);
    const rotated = await refreshTokens(t.http, user.tokens.refresh_token);
    expect(await refreshStatus(t.http, user.tokens.refresh_token)).toBe(401);
    await login(t.http, user.username, user.password);

    receiver.release(204);
    await delivering;
    expect(rotated.refresh_token).toBeTruthy();
    await expect.poll(async () => (await outboxRows(t, sessionId))[0]?.delivered_at).toBeTruthy();
  });

  it('commits the revocation and the outbox row together: a failed enqueue leaves neither', async () => {
    await t.sql(
      `ALTER TABLE outbox_messages ADD CONSTRAINT refuse_webhooks CHECK (kind <> 'security_webhook') NOT VALID`,
    );
    const user = await signUp(t.http);
    const sessionId = sessionIdOf(user.tokens.access_token);
    const rotated = await refreshTokens(t.http, user.tokens.refresh_token);
    try {
      const response = await t.http
        .post('/auth/refresh')
        .send({ refresh_token: user.tokens.refresh_token });
      expect(response.status).toBeGreaterThanOrEqual(500);
      expect(await revokedReason(t, sessionId)).toEqual(['live']);
      expect(await outboxRows(t, sessionId)).toEqual([]);
    } finally {
      await t.sql(`ALTER TABLE outbox_messages DROP CONSTRAINT refuse_webhooks`);
    }

    expect(await refreshStatus(t.http, user.tokens.refresh_token)).toBe(401);
    expect(await revokedReason(t, sessionId)).toEqual(['reuse']);
    expect(await outboxRows(t, sessionId)).toHaveLength(1);
    expect(await refreshStatus(t.http, rotated.refresh_token)).toBe(401);
  });

  it('reports one reuse once, however many times the spent token comes back at once', async () => {
    const user = await signUp(t.http);
    const sessionId = sessionIdOf(user.tokens.access_token);
    await refreshTokens(t.http, user.tokens.refresh_token);

    const statuses = await Promise.all(
      Array.from({ length: 5 }, () => refreshStatus(t.http, user.tokens.refresh_token)),
    );

    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    expect(await outboxRows(t, sessionId)).toHaveLength(1);
  });

  it('loses nothing when an instance stops after claiming: the next one delivers after the lease', async () => {
    // The restarted app starts with the real time: so does its predecessor's claim.
    t.clock().reset();
    // This instance claims and "dies": its own poller must not deliver first.
    await t.app.get(OutboxWorker).stop();
    const { sessionId } = await reuse(t);
    expect(await claimWebhooks(t)).toHaveLength(1);

    await t.restart();
    await deliverDue(t);
    expect(callsFor(sessionId)).toEqual([]);

    t.clock().advance(OUTBOX_LEASE_MS / 1000 + 1);
    await deliverDue(t);

    await expect.poll(() => callsFor(sessionId).length).toBe(1);
    expect(await outboxRows(t, sessionId)).toEqual([
      expect.objectContaining({ attempts: 2, delivered_at: expect.any(Date) }),
    ]);
  });
});

describe('without SECURITY_WEBHOOK_URL', () => {
  const t = useTestApp();

  it('queues nothing on a reuse', async () => {
    const { sessionId } = await reuse(t);

    expect(await revokedReason(t, sessionId)).toEqual(['reuse']);
    expect(await outboxRows(t, sessionId)).toEqual([]);
  });
});

describe.runIf(realServices.databaseUrl && realServices.redisUrl)(
  'two instances on one database',
  () => {
    let receiver: WebhookReceiver;
    beforeAll(async () => {
      receiver = await WebhookReceiver.start();
    });
    afterAll(async () => {
      await receiver.stop();
    });
    const env = () => ({ SECURITY_WEBHOOK_URL: receiver.url, SECURITY_WEBHOOK_SECRET: SECRET });
    const a = useTestApp({ env });
    const b = useTestApp({ env, shareWith: a });

    it('deliver each event exactly once, however their passes interleave', async () => {
      const events = await Promise.all(Array.from({ length: 8 }, (_, i) => reuse(i % 2 ? a : b)));

      await Promise.all([a, b, a, b, a, b].map((instance) => deliverDue(instance)));
      await expect.poll(() => receiver.calls.length).toBe(events.length);
      await Promise.all([deliverDue(a), deliverDue(b)]);

      const ids = receiver.calls.map(eventIdOf);
      expect(new Set(ids).size).toBe(events.length);
      for (const { sessionId } of events) {
        expect(receiver.calls.filter((call) => call.body.includes(sessionId))).toHaveLength(1);
      }
    });

    it('let the other instance deliver what a stopped one had claimed, once its lease expires', async () => {
      const { sessionId } = await reuse(a);
      expect(await claimWebhooks(a)).toHaveLength(1);
      await a.stop();

      await deliverDue(b);
      expect(receiver.calls.filter((call) => call.body.includes(sessionId))).toEqual([]);

      b.clock().advance(OUTBOX_LEASE_MS / 1000 + 1);
      await deliverDue(b);

      await expect
        .poll(() => receiver.calls.filter((call) => call.body.includes(sessionId)).length)
        .toBe(1);
    });
  },
);
