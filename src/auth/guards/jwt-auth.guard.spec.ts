import { HttpException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { AllowClientTokens } from '../../common/decorators/allow-client-tokens.decorator.js';
import { Public } from '../../common/decorators/public.decorator.js';
import { BearerChallengeException, DependencyUnavailableError } from '../../common/errors.js';
import { RequestChecks } from '../../common/request-checks.js';
import { StoreUnavailableError } from '../../redis/key-value-store.js';
import { caught, httpContext, newPrincipal } from '../../../test/support/unit.js';
import type { Principal } from '../../common/principal.js';
import { TokenError } from '../../tokens/token.error.js';
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

  describe('canActivate with a deferred rate-limit count', () => {
    it('lets a 429 from the count win over a route that needs no token', async () => {
      const context = httpContext({
        controller: AccountController,
        handler: 'register',
        request: withToken,
      });
      const tooMany = new HttpException('Too many requests', 429);
      await RequestChecks.of(context.switchToHttp().getRequest()).defer(Promise.reject(tooMany));

      await expect(sut.canActivate(context)).rejects.toBe(tooMany);
    });

    it('passes once the count has passed', async () => {
      const context = httpContext({
        controller: AccountController,
        handler: 'register',
        request: withToken,
      });
      await RequestChecks.of(context.switchToHttp().getRequest()).defer(Promise.resolve());

      await expect(sut.canActivate(context)).resolves.toBe(true);
    });
  });

  describe('handleRequest', () => {
    const me = (request: object = withToken) =>
      httpContext({ controller: AccountController, handler: 'me', request });

    it('returns the principal of a valid user token', () => {
      const principal = newPrincipal();

      expect(sut.handleRequest(null, principal, undefined, me())).toBe(principal);
    });

    it('lets an unavailable revocation store through unchanged: 503, failing closed', async () => {
      const unavailable = new StoreUnavailableError('Redis is not connected');

      const thrown = await caught(() => sut.handleRequest(unavailable, false, undefined, me()));

      expect(thrown).toBe(unavailable);
      expect(thrown).toBeInstanceOf(DependencyUnavailableError);
    });

    it('challenges a request without a token, without error="invalid_token"', async () => {
      const thrown = await caught(() =>
        sut.handleRequest(null, false, undefined, me(withoutToken)),
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
    ])('challenges %s with error="invalid_token"', async (_, refusal, detail) => {
      const thrown = await caught(() =>
        sut.handleRequest(refusal, false, undefined, me(withToken)),
      );

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
