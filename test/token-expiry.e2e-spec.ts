import type { KeyObject } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Clock } from '../src/common/clock.js';
import { SigningKeysService } from '../src/tokens/signing-keys.service.js';
import {
  adminTokens,
  bearer,
  decodeJwt,
  expectProblem,
  signJwt,
  signUp,
  type SignedInUser,
} from './support/factories.js';
import { basicAuth } from './support/lifecycle.js';
import { type TestClock, useTestApp } from './support/test-app.js';

/**
 * Issue 7, point 1: an access token is refused from the second its `exp`
 * names, with `WWW-Authenticate: Bearer … error="invalid_token"`. Time moves
 * through the app's injected clock, never by sleeping.
 */

const PROTECTED = ['/auth/me', '/users/me'];
/** As in the report: tokens live 3 s, and one 4.5 s old was still accepted. */
const TTL_SECONDS = 3;

describe('access tokens expire at exp, with no grace', () => {
  const t = useTestApp({ env: { ACCESS_TOKEN_TTL: String(TTL_SECONDS) } });
  let clock: TestClock;
  let serverKey: { kid: string; signingKey: KeyObject };
  let client: { client_id: string; client_secret: string };

  /** Stops the app's clock at `ms` (since the epoch), for every token service at once. */
  const setClock = (ms: number) => clock.stopAt(ms);
  const nowSeconds = () => t.app.get(Clock).nowSeconds();

  /** A token with the claims of a real one, re-timed and signed with the server's own key. */
  const resigned = (token: string, iat: number, exp: number) =>
    signJwt(
      { alg: 'RS256', typ: 'at+jwt', kid: serverKey.kid },
      { ...decodeJwt(token).payload, iat, exp },
      serverKey.signingKey,
    );

  const expectExpired = async (path: string, token: string) => {
    const response = await t.http.get(path).set(bearer(token));
    expect(expectProblem(response, 401).detail).toBe('The access token has expired');
    expect(response.headers['www-authenticate']).toMatch(
      /^Bearer realm="auth", error="invalid_token"/,
    );
  };

  beforeAll(async () => {
    clock = t.clock();
    serverKey = t.app.get(SigningKeysService).activeKey();
    const admin = await adminTokens(t.http);
    const created = await t.http
      .post('/admin/clients')
      .set(bearer(admin.access_token))
      .send({ name: 'expiry-tests', roles: [] })
      .expect(201);
    client = created.body as typeof client;
  });
  afterEach(() => {
    clock.reset();
  });

  it.each(PROTECTED)(
    '%s: a token 5 s past its exp, signed with the server key, gets 401 invalid_token',
    async (path) => {
      const user = await signUp(t.http);
      const now = nowSeconds();
      const expired = resigned(user.tokens.access_token, now - 5 - TTL_SECONDS, now - 5);

      await expectExpired(path, expired);
    },
  );

  it.each(PROTECTED)(
    '%s: an issued token works until its exp and is refused 1.5 s after it, though verified (and cached) before',
    async (path) => {
      const user: SignedInUser = await signUp(t.http);
      const { iat, exp } = decodeJwt(user.tokens.access_token).payload as {
        iat: number;
        exp: number;
      };
      expect(exp - iat).toBe(TTL_SECONDS);
      await t.http.get(path).set(bearer(user.tokens.access_token)).expect(200);

      // The last moment before exp: still valid.
      setClock(exp * 1000 - 1);
      await t.http.get(path).set(bearer(user.tokens.access_token)).expect(200);

      // 4.5 s after it was issued, as in the report.
      setClock((iat + 4.5) * 1000);
      await expectExpired(path, user.tokens.access_token);
    },
  );

  it('an expired token is inactive to introspection, and revoking it changes nothing', async () => {
    const user = await signUp(t.http);
    const introspect = () =>
      t.http
        .post('/oauth/introspect')
        .type('form')
        .set(basicAuth(client.client_id, client.client_secret))
        .send({ token: user.tokens.access_token });
    expect((await introspect().expect(200)).body.active).toBe(true);

    setClock((decodeJwt(user.tokens.access_token).payload.exp as number) * 1000 + 5_000);

    expect((await introspect().expect(200)).body).toEqual({ active: false });
    await t.http
      .post('/oauth/revoke')
      .type('form')
      .send({ token: user.tokens.access_token })
      .expect(200);
  });

  it('accepts a token whose iat is a few seconds ahead (an instance whose clock runs ahead issued it)', async () => {
    const user = await signUp(t.http);
    const iat = nowSeconds() + 10;
    const ahead = resigned(user.tokens.access_token, iat, iat + TTL_SECONDS);

    await t.http.get('/auth/me').set(bearer(ahead)).expect(200);
  });
});
