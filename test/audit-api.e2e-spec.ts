import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuditExporter } from '../src/audit/audit-exporter.service.js';
import { AuditSealer } from '../src/audit/audit-sealer.service.js';
import { SecurityEventsService } from '../src/audit/security-events.service.js';
import { runInRequestContext } from '../src/common/request-context.js';
import {
  adminTokens,
  bearer,
  expectProblem,
  invalidFields,
  loginStatus,
  signUp,
  type SignedInUser,
} from './support/factories.js';
import { useTestApp } from './support/test-app.js';

const ACTIVITY_FIELDS = ['action', 'ip', 'occurredAt', 'outcome', 'userAgent'];

describe('audit trail over HTTP', () => {
  const t = useTestApp();
  let admin: string;
  let alice: SignedInUser;
  let bob: SignedInUser;

  beforeAll(async () => {
    admin = (await adminTokens(t.http)).access_token;
    [alice, bob] = [await signUp(t.http), await signUp(t.http)];
    expect(await loginStatus(t.http, alice.username, 'wrong-password-1')).toBe(401);
    expect(await loginStatus(t.http, bob.username, 'wrong-password-2')).toBe(401);
    // A password change of Alice's, reported from a request with its origin.
    await runInRequestContext(
      {
        requestId: 'req-activity-1',
        ip: '203.0.113.7',
        userAgent: 'ActivityBrowser/1.0',
        actor: { type: 'user', id: alice.id },
      },
      () =>
        t.app.get(SecurityEventsService).record({
          action: 'user.password_changed',
          outcome: 'success',
          subject: { type: 'user', id: alice.id },
          details: { sessionsEnded: 2 },
        }),
    );
  });

  const audit = (query = '', token = admin) =>
    t.http.get(`/admin/audit${query}`).set(bearer(token));
  const activity = (token: string, query = '') =>
    t.http.get(`/auth/activity${query}`).set(bearer(token));

  describe('GET /auth/activity', () => {
    it("shows the caller's own sign-ins, failures and password change, newest first, with IP and user agent", async () => {
      const response = await activity(alice.tokens.access_token).expect(200);

      expect(response.body.map((event: { action: string }) => event.action)).toEqual([
        'user.password_changed',
        'auth.sign_in.failed',
        'auth.sign_in.succeeded',
        'user.registered',
      ]);
      expect(response.body[0]).toEqual({
        occurredAt: expect.any(String),
        action: 'user.password_changed',
        outcome: 'success',
        ip: '203.0.113.7',
        userAgent: 'ActivityBrowser/1.0',
      });
    });

    it("never shows another user's events, the operator's reason, ids or details", async () => {
      const mine = await activity(bob.tokens.access_token, '?limit=100').expect(200);

      expect(mine.body).toHaveLength(3);
      for (const event of mine.body) expect(Object.keys(event).sort()).toEqual(ACTIVITY_FIELDS);
      expect(JSON.stringify(mine.body)).not.toContain(alice.id);
      expect(JSON.stringify(mine.body)).not.toContain('wrong_password');
    });

    it('honours limit and refuses bad values with 400', async () => {
      const one = await activity(alice.tokens.access_token, '?limit=1').expect(200);
      expect(one.body).toHaveLength(1);
      for (const query of [
        '?limit=0',
        '?limit=101',
        '?limit=ten',
        '?limit=1&limit=2',
        '?user=' + bob.id,
      ]) {
        expectProblem(await activity(alice.tokens.access_token, query), 400);
      }
    });

    it('needs a signed-in user', async () => {
      expectProblem(await t.http.get('/auth/activity'), 401);
    });
  });

  describe('GET /admin/audit', () => {
    it('lists events newest first, paged, with actor, subject and reason for the operator', async () => {
      const response = await audit(`?subject=${alice.id}&limit=2`).expect(200);

      expect(response.body).toMatchObject({ total: 5, page: 1, limit: 2 });
      expect(response.body.items.map((item: { action: string }) => item.action)).toEqual([
        'user.password_changed',
        'auth.sign_in.failed',
      ]);
      expect(response.body.items[1]).toMatchObject({
        subject: { type: 'user', id: alice.id },
        actor: { type: 'anonymous' },
        outcome: 'failure',
        reason: 'wrong_password',
      });
      expect(response.body.items[0]).toMatchObject({
        actor: { type: 'user', id: alice.id },
        requestId: 'req-activity-1',
        details: { sessionsEnded: 2 },
      });
      const second = await audit(`?subject=${alice.id}&limit=2&page=2`).expect(200);
      expect(second.body.items.map((item: { action: string }) => item.action)).toEqual([
        'auth.sign_in.succeeded',
        'email.verification_sent',
      ]);
    });

    it('filters by actor, action, subject type and time range', async () => {
      const byActor = await audit(`?actor=${bob.id}`).expect(200);
      expect(byActor.body.items.map((item: { action: string }) => item.action)).toEqual([
        'auth.sign_in.succeeded',
      ]);
      const failed = await audit('?action=auth.sign_in.failed&subjectType=user&limit=100').expect(
        200,
      );
      const subjects = failed.body.items.map(
        (item: { subject: { id: string } }) => item.subject.id,
      );
      expect(subjects).toEqual(expect.arrayContaining([alice.id, bob.id]));
      expect(subjects).toHaveLength(failed.body.total);

      const now = Date.now();
      const future = new Date(now + 3_600_000).toISOString();
      const past = new Date(now - 3_600_000).toISOString();
      expect((await audit(`?subject=${alice.id}&from=${future}`).expect(200)).body.total).toBe(0);
      expect((await audit(`?subject=${alice.id}&to=${past}`).expect(200)).body.total).toBe(0);
      expect(
        (await audit(`?subject=${alice.id}&from=${past}&to=${future}`).expect(200)).body.total,
      ).toBe(5);
    });

    it('shows sealed rows with their place in the chain', async () => {
      await t.app.get(AuditSealer).sealPending();

      const response = await audit(`?subject=${bob.id}`).expect(200);

      for (const item of response.body.items) {
        expect(item.seq).toMatch(/^\d+$/);
        expect(item.hash).toMatch(/^[0-9a-f]{64}$/);
        expect(item.prevHash).toMatch(/^[0-9a-f]{64}$/);
      }
    });

    it('takes injection attempts in filters as plain values', async () => {
      const quoted = await audit(`?subject=${encodeURIComponent("' OR '1'='1")}`).expect(200);
      expect(quoted.body).toMatchObject({ total: 0, items: [] });
      const percent = await audit(`?actor=${encodeURIComponent('%')}`).expect(200);
      expect(percent.body.total).toBe(0);
      const response = await audit(
        `?action=${encodeURIComponent("auth.sign_in.failed' OR 1=1 --")}`,
      );
      expect(invalidFields(response)).toEqual(['action']);
    });

    it.each([
      ['limit', '?limit=101'],
      ['limit', '?limit=0'],
      ['limit', '?limit=-5'],
      ['page', '?page=0'],
      ['page', '?page=abc'],
      ['action', '?action=auth.nothing'],
      ['subjectType', '?subjectType=table'],
      ['subject', `?subject=${'x'.repeat(129)}`],
      ['subject', '?subject=%00'],
      ['actor', '?actor=a%0Ab'],
      ['from', '?from=yesterday'],
      ['to', '?to=2026-02-30T00:00:00Z'],
      ['subject', `?subject=${randomUUID()}&subject=${randomUUID()}`],
    ])('refuses a bad %s (%s) with 400', async (field, query) => {
      const response = await audit(query);
      expect(invalidFields(response)).toEqual([field]);
    });

    it('refuses unknown query parameters', async () => {
      expectProblem(await audit('?userId=1'), 400);
    });

    it('is for admins only', async () => {
      expectProblem(await audit('', alice.tokens.access_token), 403);
      expectProblem(await t.http.get('/admin/audit'), 401);
    });
  });

  describe('export', () => {
    it('writes matching rows as JSON lines, oldest first', async () => {
      const output = new PassThrough();
      const chunks: Buffer[] = [];
      output.on('data', (chunk: Buffer) => chunks.push(chunk));

      const written = await t.app
        .get(AuditExporter)
        .exportJsonLines(output, { subjectId: alice.id });

      const lines = Buffer.concat(chunks).toString('utf8').trimEnd().split('\n');
      expect(written).toBe(5);
      expect(lines.map((line) => JSON.parse(line).action)).toEqual([
        'user.registered',
        'email.verification_sent',
        'auth.sign_in.succeeded',
        'auth.sign_in.failed',
        'user.password_changed',
      ]);
      expect(JSON.parse(lines[4])).toMatchObject({ ip: '203.0.113.7', subject: { id: alice.id } });
    });

    it('writes nothing for a filter that matches nothing', async () => {
      const output = new PassThrough();
      const written = await t.app
        .get(AuditExporter)
        .exportJsonLines(output, { action: 'client.deleted', from: new Date() });
      expect(written).toBe(0);
    });
  });
});
