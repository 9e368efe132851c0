import { ForbiddenException, Logger } from '@nestjs/common';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AuthServices,
  authServices,
  FakeClients,
  FakePasswordCheck,
  silentSecurityEvents,
} from '../../test/support/fakes.js';
import { caught, newSigningKey, testConfig, userEntity } from '../../test/support/unit.js';
import { OAuthClient } from '../clients/entities/oauth-client.entity.js';
import { BearerChallengeException, OAuthException } from '../common/errors.js';
import { Role } from '../common/role.enum.js';
import type { TokenRequestDto } from './dto/oauth-requests.dto.js';
import type { PresentedClient, TokenRequestContext } from './oauth-body.js';
import type { CodeGrantService } from './code-grant.service.js';
import { OAuthService } from './oauth.service.js';

const PASSWORD = 'correct-horse-battery';
const context: TokenRequestContext = {
  origin: { userAgent: 'spec-agent/1.0', ip: '203.0.113.7' },
  deviceTokens: ['d1.presented', undefined],
};

function serviceClient(overrides: Partial<OAuthClient> = {}): OAuthClient {
  return Object.assign(new OAuthClient(), {
    clientId: 'svc_billing0000000001',
    name: 'billing',
    grantTypes: ['client_credentials'],
    tokenEndpointAuthMethod: 'client_secret_basic',
    roles: [Role.Admin],
    disabled: false,
    ...overrides,
  });
}

/** The OAuth2 error `act` fails with: its code and status. */
async function oauthError(act: () => unknown): Promise<{ error: string; status: number }> {
  const error = await caught(act);
  if (!(error instanceof OAuthException)) throw error;
  return { error: error.error, status: error.getStatus() };
}

describe(OAuthService.name, () => {
  const config = testConfig();
  const key = newSigningKey();
  const billing = serviceClient();
  const billingSecret: PresentedClient = {
    clientId: billing.clientId,
    clientSecret: 's3cret',
    method: 'client_secret_basic',
  };
  let passwords: FakePasswordCheck;
  let services: AuthServices;
  let sut: OAuthService;
  const ada = userEntity();
  const root = userEntity({ roles: [Role.User, Role.Admin] });

  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(() => {
    passwords = new FakePasswordCheck([{ user: ada, password: PASSWORD }]);
    services = authServices(config, key, [ada, root]);
    sut = new OAuthService(
      services.auth,
      // The authorization_code grant needs the database: test/sso.e2e-spec.ts covers it.
      {} as CodeGrantService,
      passwords.asService(),
      new FakeClients([{ client: billing, secret: billingSecret.clientSecret }]).asService(),
      services.accessTokens,
      services.refreshSessions,
      services.revocation.asService(),
      silentSecurityEvents(config),
    );
  });

  const grant = (dto: Partial<TokenRequestDto>, presented: PresentedClient | null = null) =>
    sut.token({ grant_type: 'password', ...dto }, presented, context);
  const signIn = () => grant({ username: ada.username, password: PASSWORD });

  describe('password grant', () => {
    it('checks the password through the one sign-in check and starts a session', async () => {
      const { response, deviceToken } = await signIn();

      expect(passwords.attempts).toEqual([
        {
          account: { login: ada.username },
          password: PASSWORD,
          deviceTokens: context.deviceTokens,
          purpose: 'sign-in',
        },
      ]);
      expect(response.refresh_token).toEqual(expect.any(String));
      expect(deviceToken).toBe(`device-of-${ada.id}`);
      expect((await services.accessTokens.verify(response.access_token)).subject).toBe(ada.id);
    });

    it('answers a wrong password with invalid_grant', async () => {
      expect(await oauthError(() => grant({ username: ada.username, password: 'wrong' }))).toEqual({
        error: 'invalid_grant',
        status: 400,
      });
    });

    it('answers a locked account with 429 and the seconds to wait', async () => {
      passwords.lockedForSeconds = 120;

      const error = await caught(signIn);

      expect(error).toBeInstanceOf(OAuthException);
      expect(error).toMatchObject({ error: 'invalid_grant', retryAfterSeconds: 120 });
      expect((error as OAuthException).getStatus()).toBe(429);
    });

    it('asks for username and password before checking anything', async () => {
      expect(await oauthError(() => grant({ username: ada.username }))).toEqual({
        error: 'invalid_request',
        status: 400,
      });
      expect(passwords.attempts).toEqual([]);
    });

    it('refuses client credentials that are sent but wrong, before the password', async () => {
      const wrong = { ...billingSecret, clientSecret: 'nope' };

      const error = await caught(() =>
        grant({ username: ada.username, password: PASSWORD }, wrong),
      );

      expect(error).toMatchObject({ error: 'invalid_client', basicChallenge: true });
      expect(passwords.attempts).toEqual([]);
    });

    it('refuses a registered client, which has no password grant (unauthorized_client)', async () => {
      expect(
        await oauthError(() =>
          grant({ username: ada.username, password: PASSWORD }, billingSecret),
        ),
      ).toEqual({ error: 'unauthorized_client', status: 400 });
      expect(passwords.attempts).toEqual([]);
    });
  });

  describe('refresh_token grant', () => {
    it('rotates the refresh token', async () => {
      const { response: first } = await signIn();

      const { response } = await grant({
        grant_type: 'refresh_token',
        refresh_token: first.refresh_token,
      });

      expect(response.refresh_token).not.toBe(first.refresh_token);
    });

    it('answers a spent refresh token with invalid_grant', async () => {
      const { response: first } = await signIn();
      const refresh = { grant_type: 'refresh_token', refresh_token: first.refresh_token };
      await grant(refresh);

      expect(await oauthError(() => grant(refresh))).toEqual({
        error: 'invalid_grant',
        status: 400,
      });
    });
  });

  describe('client_credentials grant', () => {
    it("issues a token with the client's roles and no refresh token", async () => {
      const { response } = await grant({ grant_type: 'client_credentials' }, billingSecret);

      expect(response.refresh_token).toBeUndefined();
      expect(await services.accessTokens.verify(response.access_token)).toMatchObject({
        subject: `client:${billing.clientId}`,
        clientId: billing.clientId,
        roles: billing.roles,
        sessionId: null,
      });
    });

    it('requires client authentication', async () => {
      expect(await oauthError(() => grant({ grant_type: 'client_credentials' }))).toEqual({
        error: 'invalid_client',
        status: 401,
      });
    });
  });

  it('refuses a grant type it does not support', async () => {
    expect(await oauthError(() => grant({ grant_type: 'implicit' }))).toEqual({
      error: 'unsupported_grant_type',
      status: 400,
    });
  });

  it('refuses an authorization code from a caller that names no client', async () => {
    expect(await oauthError(() => grant({ grant_type: 'authorization_code' }))).toEqual({
      error: 'invalid_client',
      status: 401,
    });
  });

  describe('revoke', () => {
    it('revokes an access token by its id', async () => {
      const { response } = await signIn();

      await sut.revoke({ token: response.access_token }, null);

      const { tokenId } = await services.accessTokens.verify(response.access_token);
      expect(services.revocation.accessTokens).toEqual([tokenId]);
    });

    it('ends the session of a refresh token', async () => {
      const { response } = await signIn();

      await sut.revoke({ token: response.refresh_token! }, null);

      expect(services.revocation.sessions).toEqual([[services.rows.rows[0].sessionId, 'logout']]);
    });

    it.each(['a.b.c', 'garbage'])(
      'answers the same for a token it does not know (%s)',
      async (token) => {
        await expect(sut.revoke({ token }, null)).resolves.toBeUndefined();
        expect(services.revocation.accessTokens).toEqual([]);
        expect(services.revocation.sessions).toEqual([]);
      },
    );
  });

  describe('introspect', () => {
    it('describes a live access token from its claims', async () => {
      const { response } = await signIn();

      const answer = await sut.introspect({ token: response.access_token });

      expect(answer).toMatchObject({ active: true, token_type: 'access_token', sub: ada.id });
    });

    it('answers a revoked access token with exactly { active: false }', async () => {
      const { response } = await signIn();
      services.blocklist.revoked.add(
        (await services.accessTokens.verify(response.access_token)).tokenId,
      );

      expect(await sut.introspect({ token: response.access_token })).toEqual({ active: false });
    });

    it("describes a refresh token while it is its session's current one", async () => {
      const { response: first } = await signIn();

      expect(await sut.introspect({ token: first.refresh_token! })).toMatchObject({
        active: true,
        token_type: 'refresh_token',
        sid: services.rows.rows[0].sessionId,
      });
      await grant({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
      expect(await sut.introspect({ token: first.refresh_token! })).toEqual({ active: false });
    });
  });

  describe('authorizeIntrospection', () => {
    const bearerOf = async (user: typeof ada) =>
      (await services.auth.startSession(user, context.origin)).tokens.access_token;

    it('lets a registered client or an admin introspect', async () => {
      await expect(sut.authorizeIntrospection(billingSecret, null)).resolves.toBeUndefined();
      await expect(sut.authorizeIntrospection(null, await bearerOf(root))).resolves.toBeUndefined();
    });

    it('refuses a user without the admin role with 403', async () => {
      const error = await caught(async () => sut.authorizeIntrospection(null, await bearerOf(ada)));

      expect(error).toBeInstanceOf(ForbiddenException);
    });

    it('refuses a revoked admin token with a 401 challenge', async () => {
      const bearer = await bearerOf(root);
      services.blocklist.revoked.add((await services.accessTokens.verify(bearer)).tokenId);

      const error = await caught(() => sut.authorizeIntrospection(null, bearer));

      expect(error).toBeInstanceOf(BearerChallengeException);
    });

    it('asks for client authentication when there is neither', async () => {
      expect(await oauthError(() => sut.authorizeIntrospection(null, null))).toEqual({
        error: 'invalid_client',
        status: 401,
      });
    });
  });
});
