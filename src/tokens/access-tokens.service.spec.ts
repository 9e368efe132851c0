import { JwtService } from '@nestjs/jwt';
import jwt from 'jsonwebtoken';
import { createHmac, KeyObject, randomUUID } from 'node:crypto';
import { version as uuidVersion } from 'uuid';
import { beforeEach, describe, expect, it } from 'vitest';
import { Role } from '../common/role.enum.js';
import { CLOCK_SKEW_SECONDS } from '../common/clock.js';
import {
  accessTokenClaims,
  FakeClock,
  FakeSigningKeys,
  newSigningKey,
  TEST_AUDIENCE,
  TEST_ISSUER,
  testConfig,
} from '../../test/support/unit.js';
import type { IssueAccessToken } from './access-tokens.service.js';
import { AccessTokensService } from './access-tokens.service.js';
import type { LoadedKey } from './key-material.js';
import { TokenError, TokenErrorCode } from './token.error.js';

type Header = Record<string, unknown>;

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Assembles a compact JWS by hand, the way an attacker would: any header, any signature. */
function forge(header: Header, payload: object, sign: (input: string) => Buffer): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign(input).toString('base64url')}`;
}

/** A correctly signed token with our claims, and the header fields given. */
function signedToken(
  key: LoadedKey,
  header: Header = {},
  claims: object = accessTokenClaims(),
): string {
  return jwt.sign(claims, key.signingKey, {
    algorithm: key.algorithm,
    header: { alg: key.algorithm, typ: 'at+jwt', kid: key.kid, ...header },
  });
}

function newIssueRequest(overrides: Partial<IssueAccessToken> = {}): IssueAccessToken {
  return { subject: randomUUID(), roles: [Role.User], sessionId: randomUUID(), ...overrides };
}

function tokenErrorCode(act: () => unknown): TokenErrorCode {
  try {
    act();
  } catch (error) {
    if (error instanceof TokenError) return error.code;
    throw error;
  }
  throw new Error('expected a TokenError');
}

describe(AccessTokensService.name, () => {
  const key = newSigningKey('RS256');
  const config = testConfig();
  let clock: FakeClock;
  let sut: AccessTokensService;

  beforeEach(() => {
    clock = new FakeClock();
    sut = new AccessTokensService(
      new JwtService(),
      new FakeSigningKeys(key).asService(),
      clock,
      config,
    );
  });

  /** What the JWT strategy does: key by kid, library checks with our options, then our own checks. */
  function verify(token: string, verificationKey: KeyObject = sut.keyForToken(token)) {
    const options = sut.verifyOptions;
    const payload = jwt.verify(token, verificationKey, {
      ...options,
      algorithms: [...options.algorithms],
    });
    return sut.toPrincipal(payload);
  }

  describe('issue', () => {
    it('signs an access token (typ at+jwt) with the active key, naming its kid', () => {
      const { token } = sut.issue(newIssueRequest());

      expect(jwt.decode(token, { complete: true })?.header).toEqual({
        alg: 'RS256',
        typ: 'at+jwt',
        kid: key.kid,
      });
    });

    it('carries issuer, audience, subject, session, roles and a UUIDv7 id, for the configured lifetime', () => {
      const request = newIssueRequest({ roles: [Role.User, Role.Admin] });
      const before = Math.floor(Date.now() / 1000);

      const issued = sut.issue(request);

      const claims = jwt.decode(issued.token) as Record<string, unknown>;
      expect(claims).toMatchObject({
        iss: TEST_ISSUER,
        aud: TEST_AUDIENCE,
        sub: request.subject,
        sid: request.sessionId,
        roles: request.roles,
        jti: issued.jti,
        iat: issued.issuedAt,
        exp: issued.issuedAt + config.auth.accessTokenTtl,
      });
      expect(issued.issuedAt).toBeGreaterThanOrEqual(before);
      expect(issued.expiresIn).toBe(config.auth.accessTokenTtl);
      expect(uuidVersion(issued.jti)).toBe(7);
      expect(claims).not.toHaveProperty('client_id');
    });

    it('gives every token its own id', () => {
      const request = newIssueRequest();

      expect(sut.issue(request).jti).not.toBe(sut.issue(request).jti);
    });

    it('verifies with its own key and options into the principal it was issued for', () => {
      const request = newIssueRequest();
      const issued = sut.issue(request);

      expect(verify(issued.token)).toMatchObject({
        subject: request.subject,
        userId: request.subject,
        clientId: null,
        sessionId: request.sessionId,
        roles: request.roles,
        tokenId: issued.jti,
      });
    });

    it('issues a service token with client_id and no session', () => {
      const request = newIssueRequest({
        subject: 'client:billing',
        sessionId: undefined,
        clientId: 'billing',
      });

      const principal = verify(sut.issue(request).token);

      expect(principal).toMatchObject({
        subject: 'client:billing',
        userId: null,
        clientId: 'billing',
        sessionId: null,
      });
    });
  });

  describe('keyForToken', () => {
    it('returns our verification key for a token signed with one of our keys', () => {
      expect(sut.keyForToken(signedToken(key))).toBe(key.verificationKey);
    });

    it('refuses a kid that is not in our key set', () => {
      const stranger = newSigningKey('RS256');

      expect(tokenErrorCode(() => sut.keyForToken(signedToken(stranger)))).toBe('unknown_key');
    });

    it('refuses a token without a kid', () => {
      expect(tokenErrorCode(() => sut.keyForToken(signedToken(key, { kid: undefined })))).toBe(
        'unknown_key',
      );
    });

    it.each([
      ['jku', 'https://attacker.example/jwks.json'],
      ['x5u', 'https://attacker.example/cert.pem'],
      ['jwk', { kty: 'oct', k: 'AAAA' }],
      ['crit', ['exp']],
    ])('refuses a header with %s, even when everything else is right', (name, value) => {
      expect(tokenErrorCode(() => sut.keyForToken(signedToken(key, { [name]: value })))).toBe(
        'forbidden_header',
      );
    });

    it.each(['JWT', undefined])('refuses typ %j: only access tokens are accepted', (typ) => {
      expect(tokenErrorCode(() => sut.keyForToken(signedToken(key, { typ })))).toBe('wrong_type');
    });

    it('refuses an HS256 token keyed with our RSA public key (algorithm confusion)', () => {
      const publicPem = key.verificationKey.export({ format: 'pem', type: 'spki' });
      const token = forge(
        { alg: 'HS256', typ: 'at+jwt', kid: key.kid },
        accessTokenClaims(),
        (input) => createHmac('sha256', publicPem).update(input).digest(),
      );

      expect(() => sut.keyForToken(token)).toThrow(TokenError);
    });

    it("refuses an ES256 header on our RS256 key's kid", () => {
      const ecKey = newSigningKey('ES256');
      const token = signedToken({ ...ecKey, kid: key.kid });

      expect(() => sut.keyForToken(token)).toThrow(TokenError);
    });

    it('refuses alg none', () => {
      const token = forge({ alg: 'none', typ: 'at+jwt', kid: key.kid }, accessTokenClaims(), () =>
        Buffer.alloc(0),
      );

      expect(() => sut.keyForToken(token)).toThrow(TokenError);
    });

    it.each([
      ['empty', ''],
      ['not a JWT', 'garbage'],
      ['two parts', `${b64({ alg: 'RS256' })}.${b64({})}`],
      ['a header that is not JSON', `${Buffer.from('{alg').toString('base64url')}.e30.c2ln`],
      ['a header that is an array', `${b64(['RS256'])}.e30.c2ln`],
    ])('refuses a malformed token (%s)', (_, token) => {
      expect(tokenErrorCode(() => sut.keyForToken(token))).toBe('malformed');
    });
  });

  describe('verifyOptions', () => {
    it.each([
      ['audience', { aud: 'another-service' }, /audience invalid/],
      ['issuer', { iss: 'https://another-issuer.example' }, /issuer invalid/],
    ])('make the JWT library refuse a foreign %s', (_, foreign, message) => {
      const token = signedToken(key, {}, accessTokenClaims(foreign));

      expect(() => verify(token)).toThrow(message);
    });
  });

  describe('expiry, by the injected clock', () => {
    const issued = () => sut.issue(newIssueRequest());
    const expiresAtMs = (token: string) => (jwt.decode(token) as { exp: number }).exp * 1000;

    it('accepts a token until the last millisecond before its exp', () => {
      const { token } = issued();
      clock.set(expiresAtMs(token) - 1);

      expect(verify(token).tokenId).toEqual(expect.any(String));
    });

    it.each([
      ['at its exp', 0],
      ['one second past its exp', 1_000],
      ['five seconds past its exp', 5_000],
    ])('refuses a token %s: no grace', (_, pastMs) => {
      const { token } = issued();
      clock.set(expiresAtMs(token) + pastMs);

      expect(tokenErrorCode(() => verify(token))).toBe('expired');
    });

    it('refuses an expired token through verify() too', async () => {
      const { token } = issued();
      clock.set(expiresAtMs(token) + 5_000);

      await expect(sut.verify(token)).rejects.toMatchObject({ code: 'expired' });
    });

    it('accepts an iat up to the clock skew ahead (another instance may run ahead)', () => {
      const iat = clock.nowSeconds() + CLOCK_SKEW_SECONDS;
      const claims = accessTokenClaims({ iat, exp: iat + config.auth.accessTokenTtl });

      expect(sut.toPrincipal(claims).issuedAt).toBe(iat);
    });

    it('refuses an iat beyond the clock skew ahead', () => {
      const iat = clock.nowSeconds() + CLOCK_SKEW_SECONDS + 1;
      const claims = accessTokenClaims({ iat, exp: iat + config.auth.accessTokenTtl });

      expect(tokenErrorCode(() => sut.toPrincipal(claims))).toBe('bad_claims');
    });
  });

  describe('toPrincipal', () => {
    const now = () => Math.floor(Date.now() / 1000);

    it('shapes a valid user token into a principal', () => {
      const claims = accessTokenClaims({ roles: [Role.Admin] });

      expect(sut.toPrincipal(claims)).toEqual({
        subject: claims.sub,
        userId: claims.sub,
        clientId: null,
        roles: [Role.Admin],
        sessionId: claims.sid,
        tokenId: claims.jti,
        issuedAt: claims.iat,
        expiresAt: claims.exp,
        claims,
      });
    });

    it('shapes a service token (client_id, no sid) into a principal without a user', () => {
      const claims = accessTokenClaims({
        sub: 'client:billing',
        sid: undefined,
        client_id: 'billing',
      });

      expect(sut.toPrincipal(claims)).toMatchObject({
        userId: null,
        clientId: 'billing',
        sessionId: null,
      });
    });

    it.each<[string, () => Record<string, unknown>]>([
      ['has no expiry', () => ({ exp: undefined })],
      ['has no iat', () => ({ iat: undefined })],
      ['is issued in the future', () => ({ iat: now() + 300, exp: now() + 300 + 900 })],
      [
        'lives longer than the policy allows',
        () => ({ iat: now(), exp: now() + 2 * config.auth.accessTokenTtl }),
      ],
      ['has no jti', () => ({ jti: undefined })],
      ['has a jti that is not a UUID', () => ({ jti: 'token-1' })],
      ['has no subject', () => ({ sub: undefined })],
      ['has roles that are not an array', () => ({ roles: 'admin' })],
      ['has an unknown role', () => ({ roles: [Role.User, 'superuser'] })],
      ['has neither sid nor client_id', () => ({ sid: undefined })],
      ['has a sid that is not a UUID and no client_id', () => ({ sid: 'session-1' })],
    ])('refuses a token that %s', (_, overrides) => {
      const payload = { ...accessTokenClaims(), ...overrides() };

      expect(tokenErrorCode(() => sut.toPrincipal(payload))).toBe('bad_claims');
    });
  });
});
