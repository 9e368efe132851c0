import pg from 'pg';
import { DataSource } from 'typeorm';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { chainHash } from '../src/audit/audit-chain.js';
import { AuditRetentionService } from '../src/audit/audit-retention.service.js';
import { AuditSealer } from '../src/audit/audit-sealer.service.js';
import { AuditVerifier } from '../src/audit/audit-verifier.service.js';
import { AuditEvent } from '../src/audit/entities/audit-event.entity.js';
import type { SecurityEvent } from '../src/audit/security-event.js';
import { SecurityEventsService } from '../src/audit/security-events.service.js';
import { realServices } from './support/app.js';
import { loginStatus, signUp } from './support/factories.js';
import { useTestApp, type AppHandle } from './support/test-app.js';

const DAY = 86_400;

const failedSignIn = (subjectId: string): SecurityEvent => ({
  action: 'auth.sign_in.failed',
  outcome: 'failure',
  subject: { type: 'user', id: subjectId },
  reason: 'wrong_password',
  details: { knownDevice: false, roles: ['user'] },
});

/** Sealed rows in chain order, as the app reads them. */
async function chain(t: AppHandle): Promise<AuditEvent[]> {
  const rows = await t.app
    .get(DataSource)
    .getRepository(AuditEvent)
    .find({ order: { seq: 'ASC' } });
  return rows.filter((row) => row.seq !== null);
}

/** Records `count` events directly and seals them. */
async function appendAndSeal(t: AppHandle, count: number): Promise<void> {
  const events = t.app.get(SecurityEventsService);
  for (let i = 0; i < count; i++) await events.record(failedSignIn(`subject-${i}`));
  await t.app.get(AuditSealer).sealPending();
}

/** Runs `tamper` on a copy of the trail's state and puts the state back afterwards. */
async function withTampered<T>(
  t: AppHandle,
  tamper: () => Promise<unknown>,
  check: () => Promise<T>,
) {
  await t.sql(`CREATE TABLE audit_events_backup AS SELECT * FROM audit_events`);
  await t.sql(`CREATE TABLE audit_checkpoints_backup AS SELECT * FROM audit_checkpoints`);
  try {
    await tamper();
    return await check();
  } finally {
    await t.sql(`DELETE FROM audit_events`);
    await t.sql(
      `INSERT INTO audit_events OVERRIDING SYSTEM VALUE SELECT * FROM audit_events_backup`,
    );
    await t.sql(`DELETE FROM audit_checkpoints`);
    await t.sql(`INSERT INTO audit_checkpoints SELECT * FROM audit_checkpoints_backup`);
    await t.sql(`DROP TABLE audit_events_backup, audit_checkpoints_backup`);
  }
}

describe('audit chain', () => {
  const t = useTestApp({ env: { AUDIT_RETENTION_DAYS: '30' } });
  const verify = () => t.app.get(AuditVerifier).verify();

  it('seals appended rows in the background, without being asked', async () => {
    await t.app.get(SecurityEventsService).record(failedSignIn('background'));

    await expect
      .poll(
        async () =>
          (await t.sql(`SELECT seq FROM audit_events WHERE subject_id = 'background'`))[0]?.seq,
        {
          timeout: 10_000,
        },
      )
      .not.toBeNull();
  });

  describe('with the background sealer stopped', () => {
    beforeAll(async () => {
      await t.app.get(AuditSealer).stop();
    });
    afterEach(() => {
      vi.restoreAllMocks();
    });

    it('records sign-ins that succeed and fail, and seals them into a chain that verifies', async () => {
      const user = await signUp(t.http);
      expect(await loginStatus(t.http, user.username, 'not-the-password')).toBe(401);
      expect(await loginStatus(t.http, 'nobody-here', 'not-the-password')).toBe(401);

      await t.app.get(AuditSealer).sealPending();

      const rows = (await chain(t)).filter((row) => row.subjectId === user.id);
      expect(rows.map((row) => [row.action, row.outcome, row.reason])).toEqual([
        ['user.registered', 'success', null],
        ['email.verification_sent', 'success', null],
        ['auth.sign_in.succeeded', 'success', null],
        ['auth.sign_in.failed', 'failure', 'wrong_password'],
      ]);
      expect(rows[2]).toMatchObject({ actorType: 'user', actorId: user.id, subjectType: 'user' });
      const unknown = await t.sql(
        `SELECT reason, subject_id FROM audit_events WHERE reason = 'unknown_user'`,
      );
      expect(unknown).toEqual([{ reason: 'unknown_user', subject_id: null }]);
      const result = await verify();
      expect(result).toMatchObject({ ok: true, pending: 0, break: null, checkpoint: null });
      expect(result.checked).toBe((await chain(t)).length);
      expect(result.head?.seq).toBe(String(result.checked));
    });

    it('adds exactly one INSERT to a sign-in, and leaves the row for the sealer', async () => {
      const user = await signUp(t.http);
      const query = vi.spyOn(pg.Client.prototype, 'query');

      expect(await loginStatus(t.http, user.username, user.password)).toBe(200);

      const statements = query.mock.calls
        .map(([text]) =>
          typeof text === 'string' ? text : String((text as { text?: string }).text),
        )
        .filter((text) => /audit|advisory/i.test(text));
      expect(statements).toHaveLength(1);
      expect(statements[0]).toMatch(/^INSERT INTO ("\w+"\.)?"audit_events"/);
      const [row] = await t.sql(
        `SELECT seq, hash FROM audit_events WHERE subject_id = $1 AND action = 'auth.sign_in.succeeded'`,
        [user.id],
      );
      expect(row).toEqual({ seq: null, hash: null });
    });

    // Two transactions at once need a second connection: not on the embedded database.
    it.runIf(realServices.databaseUrl)(
      'gives a row that commits late the next place in the chain, not its id’s',
      async () => {
        const events = t.app.get(SecurityEventsService);
        const runner = t.app.get(DataSource).createQueryRunner();
        await runner.startTransaction();
        try {
          await events.record(failedSignIn('late'), runner.manager);
          await events.record(failedSignIn('early'));
          await t.app.get(AuditSealer).sealPending();
          await runner.commitTransaction();
        } finally {
          await runner.release();
        }
        await t.app.get(AuditSealer).sealPending();

        const [late] = await t.sql<{ id: string; seq: string }>(
          `SELECT id, seq FROM audit_events WHERE subject_id = 'late'`,
        );
        const [early] = await t.sql<{ id: string; seq: string }>(
          `SELECT id, seq FROM audit_events WHERE subject_id = 'early'`,
        );
        expect(BigInt(late.id)).toBeLessThan(BigInt(early.id));
        expect(BigInt(late.seq)).toBeGreaterThan(BigInt(early.seq));
        expect(await verify()).toMatchObject({ ok: true, pending: 0 });
      },
    );

    it.runIf(realServices.databaseUrl)(
      'answers sign-ins while another instance holds the chain for sealing',
      async () => {
        const user = await signUp(t.http);
        const other = new pg.Client({ connectionString: t.env.DATABASE_URL });
        await other.connect();
        try {
          await other.query(`SELECT pg_advisory_lock(hashtext($1 || '.audit_chain'))`, [
            t.env.DATABASE_SCHEMA,
          ]);

          expect(await loginStatus(t.http, user.username, user.password)).toBe(200);
          expect(await t.app.get(AuditSealer)['sealAll'](false)).toBe(0);
        } finally {
          await other.end();
        }
        expect(await t.app.get(AuditSealer).sealPending()).toBeGreaterThan(0);
      },
    );

    it('names a row whose content was altered', async () => {
      await appendAndSeal(t, 4);
      const [, target] = (await chain(t)).slice(-3);

      const result = await withTampered(
        t,
        () => t.sql(`UPDATE audit_events SET ip = '198.51.100.9' WHERE id = $1`, [target.id]),
        verify,
      );

      expect(result.ok).toBe(false);
      expect(result.break).toMatchObject({ kind: 'altered', id: target.id, seq: target.seq });
      expect(await verify()).toMatchObject({ ok: true });
    });

    it('names the place where a row was removed', async () => {
      await appendAndSeal(t, 3);
      const [before, removed, after] = (await chain(t)).slice(-3);

      const result = await withTampered(
        t,
        () => t.sql(`DELETE FROM audit_events WHERE id = $1`, [removed.id]),
        verify,
      );

      expect(result.break).toMatchObject({ kind: 'removed', id: after.id, seq: after.seq });
      expect(result.head).toEqual({ seq: before.seq, hash: before.hash });
    });

    it('names a forged row inserted by SQL, even one with a correct SHA-256 and renumbered successors', async () => {
      await appendAndSeal(t, 3);
      const [before, next] = (await chain(t)).slice(-2);
      const forged = {
        ...before,
        id: '900000001',
        reason: 'forged',
        prevHash: before.hash,
      } as AuditEvent;
      forged.hash = chainHash(forged, before.hash!);

      const result = await withTampered(
        t,
        async () => {
          // Two steps: one UPDATE of seq + 1 would collide with the unique index row by row.
          await t.sql(`UPDATE audit_events SET seq = -seq - 1 WHERE seq >= $1`, [next.seq]);
          await t.sql(`UPDATE audit_events SET seq = -seq WHERE seq < 0`);
          await t.sql(
            `INSERT INTO audit_events (id, occurred_at, actor_type, actor_id, subject_type, subject_id, action, outcome, reason, ip, user_agent, request_id, details, seq, prev_hash, hash)
             OVERRIDING SYSTEM VALUE SELECT $1, occurred_at, actor_type, actor_id, subject_type, subject_id, action, outcome, $2, ip, user_agent, request_id, details, $3, $4, $5
             FROM audit_events WHERE id = $6`,
            [forged.id, forged.reason, next.seq, forged.prevHash, forged.hash, before.id],
          );
        },
        verify,
      );

      expect(result.break).toMatchObject({ kind: 'inserted', id: forged.id, seq: next.seq });
    });

    it('names a forged row appended at the end with a made-up hash', async () => {
      await appendAndSeal(t, 1);
      const [last] = (await chain(t)).slice(-1);
      const seq = String(BigInt(last.seq!) + 1n);

      const result = await withTampered(
        t,
        () =>
          t.sql(
            `INSERT INTO audit_events (occurred_at, actor_type, action, outcome, seq, prev_hash, hash)
             VALUES (now(), 'system', 'admin.user.deleted', 'success', $1, $2, $3) RETURNING id`,
            [seq, last.hash, 'f'.repeat(64)],
          ),
        verify,
      );

      expect(result.break).toMatchObject({ kind: 'altered', seq });
    });

    it('prunes past retention behind a signed checkpoint: verification passes, and still catches tampering', async () => {
      await appendAndSeal(t, 3);
      const old = await chain(t);
      t.clock().advance(31 * DAY);
      await appendAndSeal(t, 3);

      const pruned = await t.app.get(AuditRetentionService).prune();

      expect(pruned).toBe(old.length);
      const last = old[old.length - 1];
      const [checkpoint] = await t.sql(`SELECT seq, hash FROM audit_checkpoints`);
      expect(checkpoint).toEqual({ seq: last.seq, hash: last.hash });
      const kept = await chain(t);
      expect(kept).toHaveLength(3);
      expect(kept[0].prevHash).toBe(last.hash);
      expect(await verify()).toMatchObject({
        ok: true,
        checked: 3,
        checkpoint: { seq: last.seq, hash: last.hash },
      });
      await appendAndSeal(t, 1);
      expect(await verify()).toMatchObject({ ok: true, checked: 4 });

      const altered = await withTampered(
        t,
        () => t.sql(`UPDATE audit_events SET outcome = 'success' WHERE id = $1`, [kept[1].id]),
        verify,
      );
      expect(altered.break).toMatchObject({ kind: 'altered', id: kept[1].id });
      const removed = await withTampered(
        t,
        () => t.sql(`DELETE FROM audit_events WHERE id = $1`, [kept[0].id]),
        verify,
      );
      expect(removed.break).toMatchObject({ kind: 'removed', id: kept[1].id });
    });

    it('detects a forged checkpoint', async () => {
      const [stored] = await t.sql<{ seq: string }>(`SELECT seq FROM audit_checkpoints`);
      expect(stored).toBeDefined();

      const moved = await withTampered(
        t,
        () => t.sql(`UPDATE audit_checkpoints SET hash = $1`, ['a'.repeat(64)]),
        verify,
      );
      const added = await withTampered(
        t,
        () =>
          t.sql(
            `INSERT INTO audit_checkpoints (seq, hash, created_at, signature) VALUES ($1, $2, now(), $3)`,
            [String(BigInt(stored.seq) + 1n), 'b'.repeat(64), 'A'.repeat(43)],
          ),
        verify,
      );

      expect(moved.break).toMatchObject({ kind: 'forged_checkpoint', id: null, seq: stored.seq });
      expect(added.break).toMatchObject({ kind: 'forged_checkpoint' });
      expect(await verify()).toMatchObject({ ok: true });
    });
  });
});

/** Issue 9: instances on one database append side by side and seal one chain between them. */
describe.runIf(realServices.databaseUrl)('audit chain across two instances', () => {
  const a = useTestApp();
  const b = useTestApp({ shareWith: a });

  it('keeps one valid chain under concurrent appends and sealers on both', async () => {
    const users = await Promise.all([signUp(a.http), signUp(b.http)]);
    const attempts = Array.from({ length: 40 }, (_, i) => {
      const app = i % 2 === 0 ? a : b;
      const user = users[i % 3 === 0 ? 0 : 1];
      return loginStatus(app.http, user.username, i % 4 === 0 ? user.password : 'wrong-password-x');
    });
    const direct = Array.from({ length: 60 }, (_, i) =>
      (i % 2 === 0 ? a : b).app.get(SecurityEventsService).record(failedSignIn(`direct-${i}`)),
    );
    const sealing = Array.from({ length: 6 }, (_, i) =>
      (i % 2 === 0 ? a : b).app.get(AuditSealer).sealPending(),
    );

    await Promise.all([...attempts, ...direct, ...sealing]);
    await Promise.all([a.app.get(AuditSealer).sealPending(), b.app.get(AuditSealer).sealPending()]);

    const seqs = await a.sql<{ seq: string }>(`SELECT seq FROM audit_events ORDER BY seq`);
    expect(seqs.length).toBeGreaterThanOrEqual(100);
    expect(seqs.map((row) => row.seq)).toEqual(seqs.map((_, i) => String(i + 1)));
    const [fromA, fromB] = await Promise.all([
      a.app.get(AuditVerifier).verify(),
      b.app.get(AuditVerifier).verify(),
    ]);
    expect(fromA).toMatchObject({ ok: true, pending: 0, checked: seqs.length });
    expect(fromB).toEqual(fromA);
  });
});
