import { beforeAll, describe, expect, it } from 'vitest';
import { realServices, type RunningApp } from './support/app.js';
import { adminTokens, bearer, login, signUp, Tokens } from './support/factories.js';
import {
  jwksKids,
  kidOf,
  meStatus,
  pollUntil,
  refreshStatus,
  refreshTokens,
} from './support/lifecycle.js';
import { useTestApp } from './support/test-app.js';

/**
 * Issue 3, point 8: two instances on one PostgreSQL and one Redis are one
 * service. Two in-process apps share a schema and a Redis key prefix.
 */
describe.runIf(realServices.databaseUrl && realServices.redisUrl)(
  'two instances side by side',
  () => {
    const a = useTestApp();
    const b = useTestApp({ shareWith: a });
    let admin: Tokens;
    beforeAll(async () => {
      admin = await adminTokens(a.http);
    });

    it('honours a logout on A on B at once', async () => {
      const user = await signUp(a.http);
      expect(await meStatus(b.http, user.tokens.access_token)).toBe(200);

      await a.http.post('/auth/logout').set(bearer(user.tokens.access_token)).expect(204);

      expect(await meStatus(b.http, user.tokens.access_token)).toBe(401);
      expect(await refreshStatus(b.http, user.tokens.refresh_token)).toBe(401);
    });

    it('honours a logout-all on B on A at once, and a login on A right after works', async () => {
      const user = await signUp(a.http);
      const other = await login(b.http, user.username, user.password);

      await b.http.post('/auth/logout-all').set(bearer(other.access_token)).expect(204);
      const fresh = await login(a.http, user.username, user.password);

      expect(await meStatus(a.http, user.tokens.access_token)).toBe(401);
      expect(await meStatus(a.http, other.access_token)).toBe(401);
      expect(await meStatus(b.http, fresh.access_token)).toBe(200);
    });

    it('honours an admin’s disable on A on B at once', async () => {
      const user = await signUp(b.http);
      await a.http
        .patch(`/admin/users/${user.id}`)
        .set(bearer(admin.access_token))
        .send({ disabled: true })
        .expect(200);
      expect(await meStatus(b.http, user.tokens.access_token)).toBe(401);
      expect(await refreshStatus(b.http, user.tokens.refresh_token)).toBe(401);
    });

    it('kills the family everywhere when B sees reuse of a token rotated on A', async () => {
      const user = await signUp(a.http);
      const rotated = await refreshTokens(a.http, user.tokens.refresh_token);

      expect(await refreshStatus(b.http, user.tokens.refresh_token)).toBe(401);

      expect(await meStatus(a.http, rotated.access_token)).toBe(401);
      expect(await refreshStatus(a.http, rotated.refresh_token)).toBe(401);
    });

    it('has exactly one winner in a refresh race split across A and B (10 + 10 concurrent)', async () => {
      const user = await signUp(a.http);
      const send = (app: RunningApp) =>
        app.http.post('/auth/refresh').send({ refresh_token: user.tokens.refresh_token });

      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) => send(i % 2 === 0 ? a : b)),
      );

      const statuses = responses.map((response) => response.status);
      expect(statuses.filter((status) => status === 200)).toHaveLength(1);
      expect(statuses.filter((status) => status === 401)).toHaveLength(19);
    });

    it('spreads a key rotation on A to B by itself (its periodic reload): B publishes and signs with the new key', async () => {
      const user = await signUp(b.http);
      const oldKid = kidOf(user.tokens.access_token);

      const rotated = await a.http
        .post('/admin/keys/rotate')
        .set(bearer(admin.access_token))
        .expect(201);
      const newKid = rotated.body.kid as string;

      // B is shown no token of the new key: only its own periodic reload can tell it.
      await pollUntil(
        'B to publish the new key',
        async () => (await jwksKids(b.http)).includes(newKid),
        {
          timeoutMs: 12_000,
          intervalMs: 100,
        },
      );
      await pollUntil(
        'B to sign with the new key',
        async () =>
          kidOf((await login(b.http, user.username, user.password)).access_token) === newKid,
        { timeoutMs: 12_000, intervalMs: 100 },
      );
      // The old key stays published on both until its tokens have expired, and still verifies.
      expect(await jwksKids(b.http)).toContain(oldKid);
      expect(await jwksKids(a.http)).toContain(oldKid);
      expect(await meStatus(a.http, user.tokens.access_token)).toBe(200);
    }, 30_000);

    it('lets B verify a token signed with A’s brand-new key at once (unknown kid → reload, not 401)', async () => {
      const rotated = await a.http
        .post('/admin/keys/rotate')
        .set(bearer(admin.access_token))
        .expect(201);

      const signedByA = await signUp(a.http);

      expect(kidOf(signedByA.tokens.access_token)).toBe(rotated.body.kid);
      expect(await meStatus(b.http, signedByA.tokens.access_token)).toBe(200);
    });
  },
);
