import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  expectProblem,
  login,
  newUser,
  type NewUser,
  signUp,
  type SignedInUser,
} from './support/factories.js';
import {
  hasRedisServer,
  meStatus,
  pollUntil,
  RedisServer,
  refreshStatus,
  sessionIdOf,
} from './support/lifecycle.js';
import { canRunOwnPostgres, PostgresServer } from './support/postgres-server.js';
import { useTestApp } from './support/test-app.js';

/**
 * Issue 9, point 5: PostgreSQL stops mid-run and comes back. The test runs
 * its own cluster (and its own Redis) and crashes it (`pg_ctl stop -m
 * immediate`) while registrations and refresh rotations are under way. While
 * it is down, what needs it answers 503 problems with Retry-After, readiness
 * is false, and what needs only a token and Redis is still served. Every
 * write attempted is whole or absent once it is back, and the same app
 * serves again without a restart (its pool reconnects).
 */
describe.runIf(canRunOwnPostgres() && hasRedisServer())(
  'losing PostgreSQL and getting it back',
  () => {
    let postgres: PostgresServer;
    let redis: RedisServer;
    beforeAll(async () => {
      redis = new RedisServer();
      postgres = await PostgresServer.create();
      await Promise.all([postgres.start(), redis.start()]);
    }, 120_000);
    // After the app has closed (hooks registered earlier run later in afterAll).
    afterAll(async () => {
      await redis?.stop();
      await postgres?.destroy();
    });
    // The whole cluster is thrown away: no schema of its own to drop.
    const t = useTestApp({
      env: () => ({ DATABASE_URL: postgres.url, DATABASE_SCHEMA: undefined, REDIS_URL: redis.url }),
    });

    const ready = () => t.http.get('/health/ready');
    const appAtStart = () => t.app;
    let firstApp: unknown;
    let user: SignedInUser;
    let loggedOut: SignedInUser;
    let rotating: SignedInUser[];
    /** Each registration attempted, with its answer. */
    const registrations: { user: NewUser; status: number }[] = [];
    /** Per session: the last refresh token presented, its answer, and the successor if one came back. */
    const rotations: { presented: string; status: number; next?: string; sessionId: string }[] = [];
    let acknowledged = 0;

    /** Registers new users, one after another, until one is refused. */
    async function keepRegistering(): Promise<void> {
      for (let status = 201; status === 201;) {
        const candidate = newUser();
        status = (await t.http.post('/auth/register').send(candidate)).status;
        registrations.push({ user: candidate, status });
        if (status === 201) acknowledged++;
      }
    }

    /** Rotates one session's refresh token, again and again, until a rotation is refused. */
    async function keepRotating(owner: SignedInUser): Promise<void> {
      let presented = owner.tokens.refresh_token;
      for (;;) {
        const response = await t.http.post('/auth/refresh').send({ refresh_token: presented });
        const next = response.body.refresh_token as string | undefined;
        if (response.status !== 200) {
          rotations.push({
            presented,
            status: response.status,
            next,
            sessionId: sessionIdOf(owner.tokens.access_token),
          });
          return;
        }
        acknowledged++;
        presented = next!;
      }
    }

    it('works while PostgreSQL is up', async () => {
      firstApp = appAtStart();
      [user, loggedOut, ...rotating] = await Promise.all(
        Array.from({ length: 10 }, () => signUp(t.http)),
      );
      await t.http.post('/auth/logout').set(bearer(loggedOut.tokens.access_token)).expect(204);
      expect((await ready()).status).toBe(200);
    });

    it('crashes under a stream of writes: each answer is the write or a 503, never a 500', async () => {
      const writers = [
        ...Array.from({ length: 4 }, () => keepRegistering()),
        ...rotating.map((owner) => keepRotating(owner)),
      ];
      // Crash once writes are going through, so that others are in flight.
      await pollUntil('writes to go through', async () => acknowledged >= 10, {
        timeoutMs: 20_000,
        intervalMs: 10,
      });

      await postgres.stop('immediate');
      await Promise.all(writers);

      for (const { status } of [...registrations, ...rotations]) {
        expect([200, 201, 503]).toContain(status);
      }
      expect(rotations.every(({ status }) => status === 503)).toBe(true);
      expect(registrations.filter(({ status }) => status === 503)).toHaveLength(4);
    }, 60_000);

    it('while down: 503 problems with Retry-After where the database is needed, readiness false', async () => {
      const needsDatabase = [
        t.http.post('/auth/register').send(newUser()),
        t.http.post('/auth/login').send({ username: user.username, password: user.password }),
        t.http.post('/auth/refresh').send({ refresh_token: user.tokens.refresh_token }),
        t.http.get('/auth/sessions').set(bearer(user.tokens.access_token)),
      ];
      for (const response of await Promise.all(needsDatabase)) {
        expectProblem(response, 503);
        expect(response.headers['retry-after']).toMatch(/^\d+$/);
      }

      const health = await ready();
      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({
        checks: { database: { status: 'down' }, redis: { status: 'up' } },
      });
      await t.http.get('/health/live').expect(200);
    });

    it('while down: a valid token is still served on what needs only it and Redis, a revoked one still refused', async () => {
      for (let i = 0; i < 3; i++) {
        const me = await t.http.get('/auth/me').set(bearer(user.tokens.access_token));
        expect(me.status, me.text).toBe(200);
        expect(me.body.sub).toBe(user.id);
      }
      expect(await meStatus(t.http, loggedOut.tokens.access_token)).toBe(401);
      // Verifiers elsewhere keep their keys: the key set is served from memory.
      const jwks = await t.http.get('/.well-known/jwks.json');
      expect(jwks.status).toBe(200);
      expect(jwks.body.keys).not.toHaveLength(0);
    });

    it('comes back: the same app serves again without a restart', async () => {
      await postgres.start();

      await pollUntil(
        'GET /health/ready to answer 200 again',
        async () => (await ready()).status === 200,
        {
          timeoutMs: 30_000,
          intervalMs: 200,
        },
      );
      expect(t.app).toBe(firstApp);
      await login(t.http, user.username, user.password);
      await t.http.post('/auth/register').send(newUser()).expect(201);
      // The refresh refused while down spent nothing: the token still works.
      expect(await refreshStatus(t.http, user.tokens.refresh_token)).toBe(200);
    }, 60_000);

    it('left every registration whole or absent', async () => {
      for (const { user: candidate, status } of registrations) {
        const rows = await t.sql<{ n: number }>(
          'SELECT count(*)::int AS n FROM users WHERE username = $1',
          [candidate.username],
        );
        if (status === 201) expect(rows[0].n).toBe(1);
        if (rows[0].n === 1) {
          // The row is whole: its password hash verifies.
          await login(t.http, candidate.username, candidate.password);
        } else {
          await t.http.post('/auth/register').send(candidate).expect(201);
        }
      }
    });

    it('left every refresh rotation whole or absent: one live token per session, and it works', async () => {
      for (const { presented, sessionId } of rotations) {
        const [counts] = await t.sql<{ unspent: number; revoked: number; presentedSpent: boolean }>(
          `SELECT count(*) FILTER (WHERE spent_at IS NULL)::int AS unspent,
                count(*) FILTER (WHERE revoked_at IS NOT NULL)::int AS revoked,
                bool_or(spent_at IS NOT NULL AND token_hash = sha256(convert_to($2, 'UTF8'))) AS "presentedSpent"
         FROM refresh_sessions WHERE family_id = $1`,
          [sessionId, presented],
        );
        // Either the token presented was spent and its successor written, or neither was.
        expect(counts).toMatchObject({ unspent: 1, revoked: 0 });
        // Not spent: the refused rotation left nothing behind, and the token still works.
        if (!counts.presentedSpent) expect(await refreshStatus(t.http, presented)).toBe(200);
      }
    });
  },
);
