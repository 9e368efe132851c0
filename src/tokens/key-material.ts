import {
  createHash,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  KeyObject,
  randomBytes,
} from 'node:crypto';
import type { JwtAlgorithm } from '../config/config.js';

export interface KeyPairMaterial {
  kid: string;
  /** Exported private part: PKCS#8 DER, or the raw HMAC secret. */
  privateBytes: Buffer;
  publicJwk: Record<string, unknown> | null;
}

/** A key ready for use: `KeyObject`s only (string keys are re-parsed on every call). */
export interface LoadedKey {
  kid: string;
  algorithm: JwtAlgorithm;
  signingKey: KeyObject;
  verificationKey: KeyObject;
  publicJwk: Record<string, unknown> | null;
  retired: boolean;
}

/** RFC 7638 thumbprint: a kid that is stable and derived from the public key alone. */
function thumbprint(jwk: Record<string, unknown>): string {
  const members = jwk.kty === 'EC' ? ['crv', 'kty', 'x', 'y'] : ['e', 'kty', 'n'];
  const canonical = JSON.stringify(Object.fromEntries(members.map((name) => [name, jwk[name]])));
  return createHash('sha256').update(canonical).digest('base64url');
}

export function generateKeyMaterial(algorithm: JwtAlgorithm, hmacSecret?: string): KeyPairMaterial {
  if (algorithm === 'HS256') {
    const secret = hmacSecret ? Buffer.from(hmacSecret) : randomBytes(32);
    return { kid: hmacKid(secret), privateBytes: secret, publicJwk: null };
  }
  const { privateKey, publicKey } =
    algorithm === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
  const kid = thumbprint(jwk);
  return {
    kid,
    privateBytes: privateKey.export({ format: 'der', type: 'pkcs8' }),
    publicJwk: { ...jwk, kid, alg: algorithm, use: 'sig' },
  };
}

/** The kid of an HMAC key: a hash, so the configured secret is recognisable but not revealed. */
export function hmacKid(secret: Buffer): string {
  return (
    'hs-' + createHash('sha256').update('kid:').update(secret).digest('base64url').slice(0, 22)
  );
}

export function loadKey(
  kid: string,
  algorithm: JwtAlgorithm,
  privateBytes: Buffer,
  publicJwk: Record<string, unknown> | null,
  retired: boolean,
): LoadedKey {
  if (algorithm === 'HS256') {
    const secret = createSecretKey(privateBytes);
    return {
      kid,
      algorithm,
      signingKey: secret,
      verificationKey: secret,
      publicJwk: null,
      retired,
    };
  }
  const signingKey = createPrivateKey({ key: privateBytes, format: 'der', type: 'pkcs8' });
  return {
    kid,
    algorithm,
    signingKey,
    verificationKey: createPublicKey(signingKey),
    publicJwk,
    retired,
  };
}
