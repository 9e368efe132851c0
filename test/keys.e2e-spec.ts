import { createPublicKey, verify } from 'node:crypto';
import { DataSource } from 'typeorm';
import { beforeAll, describe, expect, it } from 'vitest';
import { SigningKey } from '../src/tokens/entities/signing-key.entity.js';
import { SigningKeysService } from '../src/tokens/signing-keys.service.js';
import type { RunningApp } from './support/app.js';
import {
  adminTokens,
  bearer,
  decodeJwt,
  expectProblem,
  login,
  signUp,
  Tokens,
} from './support/factories.js';
import { jwksKids, kidOf, meStatus, pollUntil, refreshStatus } from './support/lifecycle.js';
import { useTestApp } from './support/test-app.js';

/** Issue 3, point 6: key rotation, retirement, and a change of algorithm. */

const ACCESS_TOKEN_TTL = 120;
const CLOCK_SKEW_SECONDS = 60;

/** Verifies a token's signature offline with the JWKS, as another service would. */
async function verifiesWithJwks(t: RunningApp, token: string): Promise<boolean> {
  const { header } = decodeJwt(token);
  const jwks = (await t.http.get('/.well-known/jwks.json').expect(200)).body as {
    keys: Record<string, unknown>[];
  };
  const jwk = jwks.keys.find((key) => key.kid === header.kid);
  if (!jwk) return false;
  const [head, payload, signature] = token.split('.');
  const key = createPublicKey({ key: jwk as never, format: 'jwk' });
  return verify(
    'sha256',
    Buffer.from(`${head}.${payload}`),
    header.alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key,
    Buffer.from(signature, 'base64url'),
  );
}

describe('signing key rotation', () => {
  const t = useTestApp({ env: { ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL) } });
  let admin: Tokens;
  const keyRows = () =>
    t.app
      .get(DataSource)
      .getRepository(SigningKey)
      .find({ order: { createdAt: 'ASC' } });

  beforeAll(async () => {
    admin = await adminTokens(t.http);
  });
  /** The database's now(), which stamps retired_at. */
  const databaseNow = async () =>
    (await t.sql<{ now: Date }>('SELECT now() AS now'))[0].now.getTime();

  it('POST /admin/keys/rotate → 201 {kid}: a new active key, published next to the old one', async () => {
    const before = await signUp(t.http);
    const oldKid = kidOf(before.tokens.access_token);
    expect(await jwksKids(t.http)).toContain(oldKid);

    const response = await t.http.post('/admin/keys/rotate').set(bearer(admin.access_token));

    expect(response.status, response.text).toBe(201);
    expect(response.body).toEqual({ kid: expect.any(String) });
    const newKid = response.body.kid as string;
    expect(newKid).not.toBe(oldKid);
    const kids = await jwksKids(t.http);
    expect(kids).toContain(oldKid);
    expect(kids).toContain(newKid);

    // Tokens issued before the rotation keep working, access and refresh.
    expect(await meStatus(t.http, before.tokens.access_token)).toBe(200);
    expect(await verifiesWithJwks(t, before.tokens.access_token)).toBe(true);
    // New tokens carry the new kid and verify offline with the published key.
    const after = await login(t.http, before.username, before.password);
    expect(decodeJwt(after.access_token).header).toMatchObject({
      kid: newKid,
      alg: 'RS256',
      typ: 'at+jwt',
    });
    expect(await verifiesWithJwks(t, after.access_token)).toBe(true);
    expect(await meStatus(t.http, after.access_token)).toBe(200);
    expect(await refreshStatus(t.http, before.tokens.refresh_token)).toBe(200);
  });

  it('records when the retired key stops mattering: retired_at now, expires_at after the access TTL plus skew', async () => {
    const previous = (await keyRows()).filter((row) => row.retiredAt === null);
    expect(previous).toHaveLength(1);
    expect(previous[0].expiresAt).toBeNull();
    // Bounds on either side of the rotation, from each clock that stamps it: no durations measured.
    const [databaseBefore, appBefore] = [await databaseNow(), Date.now()];

    const { body } = await t.http
      .post('/admin/keys/rotate')
      .set(bearer(admin.access_token))
      .expect(201);
    const [databaseAfter, appAfter] = [await databaseNow(), Date.now()];

    const rows = await keyRows();
    const active = rows.filter((row) => row.retiredAt === null);
    expect(active.map((row) => row.kid)).toEqual([body.kid]);
    expect(active[0].expiresAt).toBeNull();
    const retired = rows.find((row) => row.kid === previous[0].kid)!;
    expect(retired.retiredAt!.getTime()).toBeGreaterThanOrEqual(databaseBefore);
    expect(retired.retiredAt!.getTime()).toBeLessThanOrEqual(databaseAfter);
    const lifetime = (ACCESS_TOKEN_TTL + CLOCK_SKEW_SECONDS) * 1000;
    expect(retired.expiresAt!.getTime()).toBeGreaterThanOrEqual(appBefore + lifetime);
    expect(retired.expiresAt!.getTime()).toBeLessThanOrEqual(appAfter + lifetime);
    // Still published: tokens it signed may be alive.
    expect(await jwksKids(t.http)).toContain(retired.kid);
  });

  it('drops a retired key once it has expired: gone from the JWKS, its tokens refused, its row deleted', async () => {
    const user = await signUp(t.http);
    const oldKid = kidOf(user.tokens.access_token);
    await t.http.post('/admin/keys/rotate').set(bearer(admin.access_token)).expect(201);
    expect(await meStatus(t.http, user.tokens.access_token)).toBe(200);

    // Stand in for the passing of ACCESS_TOKEN_TTL + skew: the key's expiry moves into the past.
    await t.app
      .get(DataSource)
      .query(`UPDATE signing_keys SET expires_at = now() - interval '1 second' WHERE kid = $1`, [
        oldKid,
      ]);

    // Every instance re-reads its keys every few seconds.
    await pollUntil(
      'the expired key to leave the JWKS',
      async () => !(await jwksKids(t.http)).includes(oldKid),
      {
        timeoutMs: 8_000,
      },
    );
    expect(await meStatus(t.http, user.tokens.access_token)).toBe(401);
    // Only the token's key is gone, not the session.
    expect(await refreshStatus(t.http, user.tokens.refresh_token)).toBe(200);
    await t.http.post('/admin/keys/rotate').set(bearer(admin.access_token)).expect(201);
    expect((await keyRows()).map((row) => row.kid)).not.toContain(oldKid);
  }, 15_000);

  it('rotates through the service the CLI uses (keys:rotate)', async () => {
    const kid = await t.app.get(SigningKeysService).rotate();

    expect(await jwksKids(t.http)).toContain(kid);
    const user = await signUp(t.http);
    expect(kidOf(user.tokens.access_token)).toBe(kid);
  });

  it('is for admins only: 403 for a user, 401 without a token, and nothing rotates', async () => {
    const user = await signUp(t.http);
    const before = await jwksKids(t.http);

    expectProblem(
      await t.http.post('/admin/keys/rotate').set(bearer(user.tokens.access_token)),
      403,
    );
    expectProblem(await t.http.post('/admin/keys/rotate'), 401);

    expect(await jwksKids(t.http)).toEqual(before);
    expect(kidOf((await login(t.http, user.username, user.password)).access_token)).toBe(
      kidOf(user.tokens.access_token),
    );
  });
});

describe('JWT_ALGORITHM change on restart', () => {
  const t = useTestApp();

  it('rotates to a key of the new algorithm and keeps verifying tokens of the old one', async () => {
    const user = await signUp(t.http);
    const oldKid = kidOf(user.tokens.access_token);
    expect(decodeJwt(user.tokens.access_token).header.alg).toBe('RS256');

    await t.restart({ JWT_ALGORITHM: 'ES256' });

    const fresh = await login(t.http, user.username, user.password);
    const { header } = decodeJwt(fresh.access_token);
    expect(header.alg).toBe('ES256');
    expect(header.kid).not.toBe(oldKid);
    const jwks = (await t.http.get('/.well-known/jwks.json').expect(200)).body as {
      keys: { kid: string; kty: string; alg?: string }[];
    };
    expect(jwks.keys.find((key) => key.kid === header.kid)).toMatchObject({
      kty: 'EC',
      alg: 'ES256',
    });
    expect(jwks.keys.find((key) => key.kid === oldKid)).toMatchObject({ kty: 'RSA' });
    expect(await verifiesWithJwks(t, fresh.access_token)).toBe(true);
    expect(await meStatus(t.http, fresh.access_token)).toBe(200);
    // The RS256 token issued before the restart is still good until it expires.
    expect(await meStatus(t.http, user.tokens.access_token)).toBe(200);

    const rotated = await t.http
      .post('/admin/keys/rotate')
      .set(bearer((await adminTokens(t.http)).access_token));
    expect(rotated.status).toBe(201);
    expect(
      decodeJwt((await login(t.http, user.username, user.password)).access_token).header,
    ).toMatchObject({
      alg: 'ES256',
      kid: rotated.body.kid,
    });
  }, 90_000);
});
