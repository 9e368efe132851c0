import { JwtService } from '@nestjs/jwt';
import { compactVerify, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { newSigningKey } from '../../test/support/unit.js';
import type { JwtAlgorithm } from '../config/config.js';
import { signJws } from './jws-signer.js';

const claims = {
  iss: 'https://auth.example.test',
  aud: 'api',
  sub: '0b6f8c3e-1f5d-4c59-9d2a-3e8f6c1b7a90',
  iat: 1_800_000_000,
  exp: 1_800_000_900,
  jti: '01890a5d-ac96-774b-bcce-b302099a8057',
  roles: ['user', 'admin'],
  note: 'non-ASCII: Grüße, 東京',
};

describe(signJws.name, () => {
  describe.each<JwtAlgorithm>(['RS256', 'ES256', 'HS256'])('with %s', (algorithm) => {
    const key = newSigningKey(algorithm);

    it('produces a compact JWS that jose verifies with the key, with our header and the claims as given', async () => {
      const token = await signJws(key, 'at+jwt', claims);

      const { payload, protectedHeader } = await jwtVerify(token, key.verificationKey, {
        algorithms: [algorithm],
        currentDate: new Date(claims.iat * 1000),
      });
      expect(protectedHeader).toEqual({ alg: algorithm, typ: 'at+jwt', kid: key.kid });
      expect(payload).toEqual(claims);
      expect(token.split('.')).toHaveLength(3);
    });

    it('is accepted by the JWT library the verifier uses', async () => {
      const token = await signJws(key, 'JWT', claims);

      const payload = new JwtService({ publicKey: key.verificationKey }).verify<
        Record<string, unknown>
      >(token, { algorithms: [algorithm], ignoreExpiration: true });
      expect(payload).toEqual(claims);
    });

    it('signs nothing but what it was given: a changed payload no longer verifies', async () => {
      const token = await signJws(key, 'at+jwt', claims);
      const [header, , signature] = token.split('.');
      const forged = Buffer.from(JSON.stringify({ ...claims, roles: ['admin'] })).toString(
        'base64url',
      );

      await expect(
        compactVerify(`${header}.${forged}.${signature}`, key.verificationKey),
      ).rejects.toThrow();
    });
  });

  it('never takes a header field from the claims', async () => {
    const key = newSigningKey('RS256');

    const token = await signJws(key, 'at+jwt', { ...claims, alg: 'none', kid: 'other', jku: 'x' });

    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', typ: 'at+jwt', kid: key.kid });
  });

  it('signs many tokens at once on the thread pool, each verifying with its own claims', async () => {
    const key = newSigningKey('RS256');

    const tokens = await Promise.all(
      Array.from({ length: 16 }, (_, i) => signJws(key, 'at+jwt', { ...claims, jti: `id-${i}` })),
    );

    const verified = await Promise.all(
      tokens.map((token) =>
        jwtVerify(token, key.verificationKey, { currentDate: new Date(claims.iat * 1000) }),
      ),
    );
    expect(verified.map(({ payload }) => payload.jti)).toEqual(
      Array.from({ length: 16 }, (_, i) => `id-${i}`),
    );
  });
});
