import { JwtService } from '@nestjs/jwt';
import { createHmac, randomUUID } from 'node:crypto';
import { version as uuidVersion } from 'uuid';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeBlocklist, FakeSigningKeys } from '../../test/support/fakes.js';
import {
  accessTokenClaims,
  caught,
  FakeClock,
  newSigningKey,
  TEST_AUDIENCE,
  TEST_ISSUER,
  testConfig,
} from '../../test/support/unit.js';
import { CLOCK_SKEW_SECONDS } from '../common/clock.js';
import { Role } from '../common/role.enum.js';
import { StoreUnavailableError } from '../redis/key-value-store.js';
import type { IssueAccessToken } from './access-tokens.service.js';
import { AccessTokensService } from './access-tokens.service.js';
import type { LoadedKey } from './key-material.js';
import { TokenError, TokenErrorCode } from './token.error.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

type Header = Record<string, unknown>;

const jwt = new JwtService();
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const decode = (token: string) => jwt.decode<Record<string, unknown>>(token);

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
  return jwt.sign(claims, {
    privateKey: key.signingKey,
    algorithm: key.algorithm,
    header: { alg: key.algorithm, typ: 'at+jwt', kid: key.kid, ...header },
  });
}

function newIssueRequest(overrides: Partial<IssueAccessToken> = {}): IssueAccessToken {
  return { subject: randomUUID(), roles: [Role.User], sessionId: randomUUID(), ...overrides };
}

/** The code of the `TokenError` that `act` throws or rejects with. */
async function tokenErrorCode(act: () => unknown): Promise<TokenErrorCode> {
  const error = await caught(act);
  if (error instanceof TokenError) return error.code;
  throw error;
}

describe(AccessTokensService.name, () => {
  const key = newSigningKey('RS256');
  const config = testConfig();
  let clock: FakeClock;
  let blocklist: FakeBlocklist;
  let keys: FakeSigningKeys;
  let sut: AccessTokensService;

  beforeEach(() => {
    clock = new FakeClock();
    blocklist = new FakeBlocklist();
    keys = new FakeSigningKeys(key);
    sut = new AccessTokensService(
      keys.asService(),
      new VerifiedTokenCache(clock),
      blocklist.asService(),
      clock,
      config,
    );
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  describe('issue', () => {
    it('signs an access token (typ at+jwt) with the active key, naming its kid', async () => {
      const { token } = await sut.issue(newIssueRequest());

      expect(jwt.decode<{ header: Header }>(token, { complete: true }).header).toEqual({
        alg: 'RS256',
        typ: 'at+jwt',
        kid: key.kid,
      });
    });

    it('carries issuer, audience, subject, session, roles and a UUIDv7 id, for the configured lifetime', async () => {
      const request = newIssueRequest({ roles: [Role.User, Role.Admin] });

      const issued = await sut.issue(request);

      const claims = decode(issued.token);
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
      expect(issued.issuedAt).toBe(clock.nowSeconds());
      expect(issued.expiresIn).toBe(config.auth.accessTokenTtl);
      expect(uuidVersion(issued.jti)).toBe(7);
      expect(claims).not.toHaveProperty('client_id');
    });

    it('gives every token its own id', async () => {
      const request = newIssueRequest();

      expect((await sut.issue(request)).jti).not.toBe((await sut.issue(request)).jti);
    });

    it('verifies with its own key and options into the principal it was issued for', async () => {
      const request = newIssueRequest();
      const issued = await sut.issue(request);

      expect(await sut.verify(issued.token)).toMatchObject({
        subject: request.subject,
        userId: request.subject,
        clientId: null,
        sessionId: request.sessionId,
        roles: request.roles,
        tokenId: issued.jti,
      });
    });

    it('issues a service token with client_id and no session', async () => {
      const request = newIssueRequest({
        subject: 'client:billing',
        sessionId: undefined,
        clientId: 'billing',
      });

      const principal = await sut.verify((await sut.issue(request)).token);

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

    it('refuses a kid that is not in our key set', async () => {
      const stranger = newSigningKey('RS256');

      expect(await tokenErrorCode(() => sut.keyForToken(signedToken(stranger)))).toBe(
        'unknown_key',
      );
    });

    it('refuses a token without a kid', async () => {
      expect(
        await tokenErrorCode(() => sut.keyForToken(signedToken(key, { kid: undefined }))),
      ).toBe('unknown_key');
    });

    it.each([
      ['jku', 'https://attacker.example/jwks.json'],
      ['x5u', 'https://attacker.example/cert.pem'],
      ['jwk', { kty: 'oct', k: 'AAAA' }],
      ['crit', ['exp']],
    ])('refuses a header with %s, even when everything else is right', async (name, value) => {
      expect(await tokenErrorCode(() => sut.keyForToken(signedToken(key, { [name]: value })))).toBe(
        'forbidden_header',
      );
    });

    it.each(['JWT', undefined])('refuses typ %j: only access tokens are accepted', async (typ) => {
      expect(await tokenErrorCode(() => sut.keyForToken(signedToken(key, { typ })))).toBe(
        'wrong_type',
      );
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
    ])('refuses a malformed token (%s)', async (_, token) => {
      expect(await tokenErrorCode(() => sut.keyForToken(token))).toBe('malformed');
    });
  });

  describe('verify', () => {
    it.each([
      ['audience', { aud: 'another-service' }],
      ['issuer', { iss: 'https://another-issuer.example' }],
    ])('refuses a token for a foreign %s, signed with our own key', async (_, foreign) => {
      const token = signedToken(key, {}, accessTokenClaims(foreign));

      expect(await tokenErrorCode(() => sut.verify(token))).toBe('malformed');
      await expect(sut.verify(signedToken(key))).resolves.toBeDefined();
    });

    it('refuses a kid it does not know, after asking for the key set again', async () => {
      expect(await tokenErrorCode(() => sut.verify(signedToken(newSigningKey('RS256'))))).toBe(
        'unknown_key',
      );
      expect(keys.reloads).toBe(1);
    });

    it('checks the signature of a token once, then serves it from the verified-token cache', async () => {
      const verifySignature = vi.spyOn(JwtService.prototype, 'verify');
      const { token } = await sut.issue(newIssueRequest());

      const first = await sut.verify(token);
      const second = await sut.verify(token);

      expect(second).toEqual(first);
      expect(verifySignature).toHaveBeenCalledTimes(1);
    });
  });

  describe('authenticate', () => {
    it('gives the principal of a token the blocklist does not name', async () => {
      const request = newIssueRequest();

      const principal = await sut.authenticate((await sut.issue(request)).token);

      expect(principal).toMatchObject({ subject: request.subject, sessionId: request.sessionId });
      expect(blocklist.checks).toBe(1);
    });

    it('refuses a revoked token, even one it has verified before', async () => {
      const issued = await sut.issue(newIssueRequest());
      await sut.authenticate(issued.token);
      blocklist.revoked.add(issued.jti);

      expect(await tokenErrorCode(() => sut.authenticate(issued.token))).toBe('revoked');
    });

    it('fails closed when the blocklist cannot answer', async () => {
      blocklist.unavailable = true;

      const error = await caught(async () =>
        sut.authenticate((await sut.issue(newIssueRequest())).token),
      );

      expect(error).toBeInstanceOf(StoreUnavailableError);
    });

    it('does not ask the blocklist about a token that fails verification', async () => {
      await caught(() => sut.authenticate('not.a.token'));

      expect(blocklist.checks).toBe(0);
    });
  });

  describe('expiry, by the injected clock', () => {
    const issued = () => sut.issue(newIssueRequest());
    const expiresAtMs = (token: string) => (decode(token).exp as number) * 1000;

    it('accepts a token until the last millisecond before its exp', async () => {
      const { token } = await issued();
      clock.set(expiresAtMs(token) - 1);

      expect((await sut.verify(token)).tokenId).toEqual(expect.any(String));
    });

    it.each([
      ['at its exp', 0],
      ['one second past its exp', 1_000],
      ['five seconds past its exp', 5_000],
    ])('refuses a token %s: no grace', async (_, pastMs) => {
      const { token } = await issued();
      clock.set(expiresAtMs(token) + pastMs);

      expect(await tokenErrorCode(() => sut.verify(token))).toBe('expired');
    });

    it('refuses a token it verified before, once it has expired', async () => {
      const { token } = await issued();
      await sut.verify(token);
      clock.set(expiresAtMs(token));

      expect(await tokenErrorCode(() => sut.verify(token))).toBe('expired');
    });

    it('accepts an iat up to the clock skew ahead (another instance may run ahead)', () => {
      const iat = clock.nowSeconds() + CLOCK_SKEW_SECONDS;
      const claims = accessTokenClaims({ iat, exp: iat + config.auth.accessTokenTtl });

      expect(sut.toPrincipal(claims).issuedAt).toBe(iat);
    });

    it('refuses an iat beyond the clock skew ahead', async () => {
      const iat = clock.nowSeconds() + CLOCK_SKEW_SECONDS + 1;
      const claims = accessTokenClaims({ iat, exp: iat + config.auth.accessTokenTtl });

      expect(await tokenErrorCode(() => sut.toPrincipal(claims))).toBe('bad_claims');
    });
  });

  describe('toPrincipal', () => {
    const now = () => clock.nowSeconds();

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
    ])('refuses a token that %s', async (_, overrides) => {
      const payload = { ...accessTokenClaims(), ...overrides() };

      expect(await tokenErrorCode(() => sut.toPrincipal(payload))).toBe('bad_claims');
    });
  });
});
