import { createHmac, sign } from 'node:crypto';
import type { LoadedKey } from './key-material.js';

/** The JOSE header of a token we sign: always our algorithm and kid, never a key of its own. */
export interface SignedHeader {
  alg: LoadedKey['algorithm'];
  typ: string;
  kid: string;
}

const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * The one way this server signs a JWT (access tokens, ID tokens): a compact
 * JWS over `claims` with `key`. RS256 and ES256 sign with the asynchronous
 * `crypto.sign` on libuv's thread pool, so a signature does not hold the
 * event loop (an RSA-2048 signature is about a millisecond of CPU) and one
 * process signs on more than one core. ES256 signatures are in JOSE's
 * fixed-length r‖s form (RFC 7518 §3.4). HS256 is one HMAC, done in place.
 */
export async function signJws(
  key: LoadedKey,
  typ: string,
  claims: Record<string, unknown>,
): Promise<string> {
  const header: SignedHeader = { alg: key.algorithm, typ, kid: key.kid };
  const input = `${encode(header)}.${encode(claims)}`;
  return `${input}.${(await signature(key, Buffer.from(input))).toString('base64url')}`;
}

function signature(key: LoadedKey, data: Buffer): Promise<Buffer> {
  if (key.algorithm === 'HS256') {
    return Promise.resolve(createHmac('sha256', key.signingKey).update(data).digest());
  }
  const signingKey =
    key.algorithm === 'ES256'
      ? { key: key.signingKey, dsaEncoding: 'ieee-p1363' as const }
      : key.signingKey;
  return new Promise((resolve, reject) => {
    sign('sha256', data, signingKey, (error, result) => (error ? reject(error) : resolve(result)));
  });
}
