import jwt from 'jsonwebtoken';
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RunningApp } from './support/app.js';
import { bearer, decodeJwt, signUp } from './support/factories.js';
import { useTestApp } from './support/test-app.js';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

interface Jwks {
  keys: (JsonWebKey & { kid: string; alg: string; use: string })[];
}

/** What another service does: pick the key by kid from the JWKS and verify offline. */
function verifyOffline(token: string, jwks: Jwks, app: RunningApp, algorithm: jwt.Algorithm) {
  const { header } = decodeJwt(token);
  const jwk = jwks.keys.find((key) => key.kid === header.kid);
  if (!jwk) throw new Error(`no JWKS key with kid ${String(header.kid)}`);
  return jwt.verify(token, createPublicKey({ key: jwk, format: 'jwk' }), {
    algorithms: [algorithm],
    issuer: app.env.JWT_ISSUER,
    audience: app.env.JWT_AUDIENCE,
  }) as jwt.JwtPayload;
}

describe('discovery: JWKS and openid-configuration', () => {
  describe('RS256 (the default)', () => {
    const t = useTestApp();

    it('publishes RSA public keys only', async () => {
      const response = await t.http.get('/.well-known/jwks.json').expect(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.headers['cache-control']).toMatch(/public, max-age=\d+/);
      const { keys } = response.body as Jwks;
      expect(keys.length).toBeGreaterThanOrEqual(1);
      for (const key of keys) {
        expect(key).toMatchObject({
          kty: 'RSA',
          kid: expect.any(String),
          alg: 'RS256',
          use: 'sig',
          n: expect.any(String),
          e: 'AQAB',
        });
        expect(Object.keys(key).filter((member) => PRIVATE_MEMBERS.includes(member))).toEqual([]);
      }
    });

    it('issues access tokens that verify offline with the JWKS (typ at+jwt, kid, all claims)', async () => {
      const user = await signUp(t.http);
      const jwks = (await t.http.get('/.well-known/jwks.json').expect(200)).body as Jwks;

      const { header } = decodeJwt(user.tokens.access_token);
      expect(header).toMatchObject({ alg: 'RS256', typ: 'at+jwt', kid: jwks.keys[0].kid });
      const claims = verifyOffline(user.tokens.access_token, jwks, t, 'RS256');
      expect(claims).toMatchObject({
        iss: 'https://auth.test.local',
        aud: 'test-services',
        sub: user.id,
        roles: ['user'],
        jti: expect.any(String),
        sid: expect.any(String),
      });
      expect(claims.exp! - claims.iat!).toBe(900);
    });

    it('a verifier with another audience or issuer refuses the token', async () => {
      const user = await signUp(t.http);
      const jwks = (await t.http.get('/.well-known/jwks.json').expect(200)).body as Jwks;
      const key = createPublicKey({ key: jwks.keys[0], format: 'jwk' });
      const token = user.tokens.access_token;
      expect(() =>
        jwt.verify(token, key, { algorithms: ['RS256'], audience: 'someone-else' }),
      ).toThrow(/audience/);
      expect(() =>
        jwt.verify(token, key, { algorithms: ['RS256'], issuer: 'https://other.example' }),
      ).toThrow(/issuer/);
    });

    it('describes the issuer, the JWKS and the token endpoint', async () => {
      const response = await t.http.get('/.well-known/openid-configuration').expect(200);
      expect(response.body).toMatchObject({
        issuer: 'https://auth.test.local',
        jwks_uri: 'https://auth.test.local/.well-known/jwks.json',
        token_endpoint: 'https://auth.test.local/auth/token',
        grant_types_supported: expect.arrayContaining(['password', 'refresh_token']),
        id_token_signing_alg_values_supported: ['RS256'],
      });
    });
  });

  describe('ES256', () => {
    const t = useTestApp({ env: { JWT_ALGORITHM: 'ES256' } });

    it('publishes an EC P-256 key and issues tokens that verify with it', async () => {
      const jwks = (await t.http.get('/.well-known/jwks.json').expect(200)).body as Jwks;
      expect(jwks.keys.length).toBeGreaterThanOrEqual(1);
      for (const key of jwks.keys) {
        expect(key).toMatchObject({
          kty: 'EC',
          crv: 'P-256',
          alg: 'ES256',
          use: 'sig',
          x: expect.any(String),
          y: expect.any(String),
        });
        expect(Object.keys(key).filter((member) => PRIVATE_MEMBERS.includes(member))).toEqual([]);
      }

      const user = await signUp(t.http);
      expect(decodeJwt(user.tokens.access_token).header).toMatchObject({
        alg: 'ES256',
        typ: 'at+jwt',
      });
      expect(verifyOffline(user.tokens.access_token, jwks, t, 'ES256').sub).toBe(user.id);
      await t.http.get('/users/me').set(bearer(user.tokens.access_token)).expect(200);

      const discovery = await t.http.get('/.well-known/openid-configuration').expect(200);
      expect(discovery.body.id_token_signing_alg_values_supported).toEqual(['ES256']);
    });
  });

  describe('HS256', () => {
    const t = useTestApp({ env: { JWT_ALGORITHM: 'HS256' } });

    it('publishes no keys (a shared secret is never published) and still signs users in', async () => {
      const jwks = await t.http.get('/.well-known/jwks.json').expect(200);
      expect(jwks.body).toEqual({ keys: [] });

      const user = await signUp(t.http);
      expect(decodeJwt(user.tokens.access_token).header).toMatchObject({
        alg: 'HS256',
        typ: 'at+jwt',
      });
      const me = await t.http.get('/auth/me').set(bearer(user.tokens.access_token)).expect(200);
      expect(me.body).toMatchObject({ sub: user.id, roles: ['user'] });
      await t.http.get('/users/me').set(bearer(user.tokens.access_token)).expect(200);
    });
  });
});
