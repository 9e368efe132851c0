import { HttpException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { AllowClientTokens } from '../../common/decorators/allow-client-tokens.decorator.js';
import { Clock } from '../../common/clock.js';
import { Public } from '../../common/decorators/public.decorator.js';
import { BearerChallengeException } from '../../common/filters/problem-details.filter.js';
import { StoreUnavailableError } from '../../redis/key-value-store.js';
import { caught, httpContext, newPrincipal } from '../../../test/support/unit.js';
import type { Principal } from '../../tokens/access-token.claims.js';
import { TokenError } from '../../tokens/token.error.js';
import { VerifiedTokenCache } from '../../tokens/verified-token-cache.js';
import type { JwtStrategy } from '../strategies/jwt.strategy.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';

class AccountController {
  @Public()
  register() {}

  me() {}

  @AllowClientTokens()
  introspect() {}
}

const withToken = { headers: { authorization: 'Bearer eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl' } };
const withoutToken = { headers: {} };

function clientPrincipal(): Principal {
  return newPrincipal({
    subject: 'client:billing',
    userId: null,
    clientId: 'billing',
    sessionId: null,
  });
}

describe(JwtAuthGuard.name, () => {
  let sut: JwtAuthGuard;

  beforeEach(() => {
    sut = new JwtAuthGuard(new Reflector());
  });

  describe('canActivate', () => {
    it('lets a @Public() handler through without consulting passport', async () => {
      const context = httpContext({
        controller: AccountController,
        handler: 'register',
        request: withoutToken,
      });

      await expect(sut.canActivate(context)).resolves.toBe(true);
    });

    it('hands any other handler to passport rather than letting it through', async () => {
      // No strategy is registered in a unit test, so reaching passport shows up as this error.
      const context = httpContext({
        controller: AccountController,
        handler: 'me',
        request: withoutToken,
      });

      await expect(sut.canActivate(context)).rejects.toThrow(
        'Unknown authentication strategy "jwt"',
      );
    });
  });

  describe('verified-token cache', () => {
    const token = withToken.headers.authorization.slice('Bearer '.length);
    const cachedGuard = (principal: Principal, revoked: boolean) => {
      const cache = new VerifiedTokenCache(new Clock());
      cache.set(token, principal);
      const strategy = {
        assertNotRevoked: async () => {
          if (revoked) throw new TokenError('revoked', 'token has been revoked');
        },
      } as unknown as JwtStrategy;
      return new JwtAuthGuard(new Reflector(), cache, strategy);
    };

    it('serves a token it verified before without passport, still checking revocation', async () => {
      const principal = newPrincipal();
      const request: { headers: Record<string, string>; user?: Principal } = { ...withToken };
      const context = httpContext({ controller: AccountController, handler: 'me', request });

      await expect(cachedGuard(principal, false).canActivate(context)).resolves.toBe(true);
      expect(context.switchToHttp().getRequest<{ user?: Principal }>().user).toEqual(principal);
    });

    it('refuses a cached token that has since been revoked', async () => {
      const context = httpContext({
        controller: AccountController,
        handler: 'me',
        request: withToken,
      });

      const error = await caught(() => cachedGuard(newPrincipal(), true).canActivate(context));

      expect(error).toBeInstanceOf(BearerChallengeException);
      expect((error as BearerChallengeException).challenge).toContain('error="invalid_token"');
    });
  });

  describe('handleRequest', () => {
    const me = (request: object = withToken) =>
      httpContext({ controller: AccountController, handler: 'me', request });

    it('returns the principal of a valid user token', () => {
      const principal = newPrincipal();

      expect(sut.handleRequest(null, principal, undefined, me())).toBe(principal);
    });

    it.each([
      ['raised', (error: Error) => [error, false, undefined] as const],
      ['reported as info', (error: Error) => [null, false, error] as const],
    ])('fails closed with 503 when the revocation store is unavailable (%s)', async (_, args) => {
      const [error, principal, info] = args(new StoreUnavailableError('Redis is not connected'));

      const thrown = await caught(() => sut.handleRequest(error, principal, info, me()));

      expect(thrown).toBeInstanceOf(HttpException);
      expect((thrown as HttpException).getStatus()).toBe(503);
    });

    it('challenges a request without a token, without error="invalid_token"', async () => {
      const thrown = await caught(() =>
        sut.handleRequest(null, false, new Error('No auth token'), me(withoutToken)),
      );

      expect(thrown).toBeInstanceOf(BearerChallengeException);
      const challenge = thrown as BearerChallengeException;
      expect(challenge.getStatus()).toBe(401);
      expect(challenge.tokenPresented).toBe(false);
      expect(challenge.message).toBe('Missing bearer token');
      expect(challenge.challenge).toBe('Bearer realm="auth"');
    });

    it.each([
      [
        'an invalid token',
        new TokenError('unknown_key', 'token signed with an unknown key'),
        'The access token is invalid',
      ],
      [
        'a revoked token',
        new TokenError('revoked', 'token has been revoked'),
        'The access token has been revoked',
      ],
      [
        'an expired token',
        new TokenError('expired', 'token has expired'),
        'The access token has expired',
      ],
    ])('challenges %s with error="invalid_token"', async (_, info, detail) => {
      const thrown = await caught(() => sut.handleRequest(null, false, info, me(withToken)));

      expect(thrown).toBeInstanceOf(BearerChallengeException);
      const challenge = thrown as BearerChallengeException;
      expect(challenge.getStatus()).toBe(401);
      expect(challenge.tokenPresented).toBe(true);
      expect(challenge.message).toBe(detail);
      expect(challenge.challenge).toContain('error="invalid_token"');
    });

    it('refuses a service token on a route for user tokens', async () => {
      const thrown = await caught(() =>
        sut.handleRequest(null, clientPrincipal(), undefined, me()),
      );

      expect(thrown).toBeInstanceOf(BearerChallengeException);
      expect((thrown as BearerChallengeException).getStatus()).toBe(401);
      expect((thrown as BearerChallengeException).tokenPresented).toBe(true);
    });

    it('accepts a service token on an @AllowClientTokens() route', () => {
      const principal = clientPrincipal();
      const context = httpContext({
        controller: AccountController,
        handler: 'introspect',
        request: withToken,
      });

      expect(sut.handleRequest(null, principal, undefined, context)).toBe(principal);
    });
  });
});
