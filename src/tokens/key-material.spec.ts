import { JwtService } from '@nestjs/jwt';
import { createHash, createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { JwtAlgorithm } from '../config/config.js';
import { strongSecret } from '../../test/support/unit.js';
import { generateKeyMaterial, hmacKid, loadKey } from './key-material.js';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi'];

/**
 * RFC 7638 §3: SHA-256 over the required members in lexicographic order, no
 * whitespace. Written out by hand, from the public key derived from the
 * private bytes, so it shares nothing with the code under test.
 */
function rfc7638Thumbprint(privateBytes: Buffer): string {
  const jwk = createPublicKey(
    createPrivateKey({ key: privateBytes, format: 'der', type: 'pkcs8' }),
  ).export({
    format: 'jwk',
  });
  const canonical =
    jwk.kty === 'EC'
      ? `{"crv":"${jwk.crv}","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`
      : `{"e":"${jwk.e}","kty":"RSA","n":"${jwk.n}"}`;
  return createHash('sha256').update(canonical).digest('base64url');
}

function signAndVerify(
  algorithm: JwtAlgorithm,
  signingKey: KeyObject,
  verificationKey: KeyObject,
): unknown {
  const token = new JwtService({ privateKey: signingKey }).sign({ sub: 'someone' }, { algorithm });
  return new JwtService({ publicKey: verificationKey }).verify(token, { algorithms: [algorithm] });
}

describe(generateKeyMaterial.name, () => {
  describe.each([
    ['RS256', { kty: 'RSA' }, ['alg', 'e', 'kid', 'kty', 'n', 'use']],
    ['ES256', { kty: 'EC', crv: 'P-256' }, ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']],
  ] as const)('%s', (algorithm, keyType, publicMembers) => {
    const sut = () => generateKeyMaterial(algorithm);

    it('publishes a signing JWK identified by its RFC 7638 thumbprint', () => {
      const material = sut();

      expect(material.kid).toBe(rfc7638Thumbprint(material.privateBytes));
      expect(material.publicJwk).toMatchObject({
        ...keyType,
        kid: material.kid,
        alg: algorithm,
        use: 'sig',
      });
    });

    it('keeps every private member out of the public JWK', () => {
      const { publicJwk } = sut();

      expect(Object.keys(publicJwk!).sort()).toEqual(publicMembers);
      for (const member of PRIVATE_MEMBERS) expect(publicJwk).not.toHaveProperty(member);
    });

    it('makes a new key each time', () => {
      expect(sut().kid).not.toBe(sut().kid);
    });
  });

  describe('HS256', () => {
    it('publishes nothing and names the key with an hs- prefix', () => {
      const material = generateKeyMaterial('HS256');

      expect(material.publicJwk).toBeNull();
      expect(material.kid).toMatch(/^hs-[\w-]{22}$/);
      expect(material.privateBytes).toHaveLength(32);
    });

    it('uses the configured secret, with a kid that is stable but does not reveal it', () => {
      const secret = strongSecret();

      const material = generateKeyMaterial('HS256', secret);

      expect(material.privateBytes.toString()).toBe(secret);
      expect(material.kid).toBe(hmacKid(Buffer.from(secret)));
      expect(material.kid).toBe(generateKeyMaterial('HS256', secret).kid);
      expect(material.kid).not.toContain(secret.slice(0, 8));
    });
  });
});

describe(loadKey.name, () => {
  it.each(['RS256', 'ES256', 'HS256'] as const)(
    'loads %s key objects that sign and verify',
    (algorithm) => {
      const material = generateKeyMaterial(algorithm);

      const sut = loadKey(
        material.kid,
        algorithm,
        material.privateBytes,
        material.publicJwk,
        false,
      );

      expect(sut).toMatchObject({
        kid: material.kid,
        algorithm,
        publicJwk: material.publicJwk,
        retired: false,
      });
      expect(signAndVerify(algorithm, sut.signingKey, sut.verificationKey)).toMatchObject({
        sub: 'someone',
      });
    },
  );

  it.each(['RS256', 'ES256'] as const)('verifies %s with the public half only', (algorithm) => {
    const material = generateKeyMaterial(algorithm);

    const sut = loadKey(material.kid, algorithm, material.privateBytes, material.publicJwk, true);

    expect(sut.signingKey.type).toBe('private');
    expect(sut.verificationKey.type).toBe('public');
    expect(sut.retired).toBe(true);
  });

  it.each(['RS256', 'ES256', 'HS256'] as const)(
    'refuses a %s signature made with another key',
    (algorithm) => {
      const [mine, theirs] = [generateKeyMaterial(algorithm), generateKeyMaterial(algorithm)].map(
        (material) =>
          loadKey(material.kid, algorithm, material.privateBytes, material.publicJwk, false),
      );

      expect(() => signAndVerify(algorithm, theirs.signingKey, mine.verificationKey)).toThrow(
        'invalid signature',
      );
    },
  );
});
