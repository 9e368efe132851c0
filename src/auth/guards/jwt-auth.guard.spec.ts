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
import type { AccessTokensService } from '../../tokens/access-tokens.service.js';
import { CsrfTokensService } from '../../tokens/csrf-tokens.service.js';
import { JwtStrategy } from '../strategies/jwt.strategy.js';
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
const csrfTokens = new CsrfTokensService('a-key-encryption-secret-for-unit-specs');

/** A request authenticated by the access-token cookie (cookie mode), with these cookies and headers. */
function byCookie(method: string, cookies: Record<string, string>, headers = {}) {
  const cookie = Object.entries({ '__Host-access-token': 'eyJ.eyJ.sig', ...cookies })
    .map(([name, value]) => `${name}=${value}`)
    .join('; ');
  const parseCookie = (header: string) =>
    Object.fromEntries(header.split('; ').map((pair) => pair.split('=')));
  return { method, headers: { cookie, ...headers }, server: { parseCookie } };
}

function clientPrincipal(): Principal {
  return newPrincipal({
    subject: 'client:billing',
    userId: null,
    clientId: 'billing',
    sessionId: null,
  });
}

/** The one verification, answering with `answer`; counts how often it was asked. */
function verification(answer: () => Promise<Principal>) {
  const asked = { count: 0 };
  const service = {
    authenticate: () => {
      asked.count++;
      return answer();
    },
  } as unknown as AccessTokensService;
  return { asked, strategy: new JwtStrategy(service) };
}

describe(JwtAuthGuard.name, () => {
  let sut: JwtAuthGuard;
  let asked: { count: number };
  let principal: Principal;

  beforeEach(() => {
    principal = newPrincipal();
    const verified = verification(async () => principal);
    asked = verified.asked;
    sut = new JwtAuthGuard(new Reflector(), verified.strategy, csrfTokens);
  });

  describe('canActivate', () => {
    const context = (handler: 'register' | 'me', request: object) =>
      httpContext({ controller: AccountController, handler, request });

    describe('cookie mode', () => {
      const csrfOf = () => csrfTokens.issue(principal.sessionId!);

      it('accepts the access-token cookie when no Authorization header is sent', async () => {
        await expect(sut.canActivate(context('me', byCookie('GET', {})))).resolves.toBe(true);
        expect(asked.count).toBe(1);
      });

      it('needs the CSRF token, in header and cookie, for a state change by cookie', async () => {
        const token = csrfOf();
        const other = csrfTokens.issue('another-session');
        for (const request of [
          byCookie('POST', { '__Host-csrf-token': token }),
          byCookie('DELETE', { '__Host-csrf-token': token }, { 'x-csrf-token': `${token}x` }),
          byCookie('PATCH', {}, { 'x-csrf-token': token }),
          byCookie('PUT', { '__Host-csrf-token': other }, { 'x-csrf-token': other }),
        ]) {
          const thrown = await caught(() => sut.canActivate(context('me', request)));
          expect((thrown as HttpException).getStatus()).toBe(403);
        }
        const valid = byCookie('POST', { '__Host-csrf-token': token }, { 'x-csrf-token': token });
        await expect(sut.canActivate(context('me', valid))).resolves.toBe(true);
      });

      it('reads no cookie for a bearer request and needs no CSRF token for it', async () => {
        const request = { ...byCookie('POST', {}), headers: { ...withToken.headers, cookie: 'x' } };
        request.server.parseCookie = () => {
          throw new Error('cookies parsed on the bearer path');
        };
        await expect(sut.canActivate(context('me', request))).resolves.toBe(true);
      });
    });

    it('lets a @Public() handler through without verifying anything', async () => {
      await expect(sut.canActivate(context('register', withoutToken))).resolves.toBe(true);
      expect(asked.count).toBe(0);
    });

    it('runs the jwt strategy for any other handler and hands its principal to the request', async () => {
      const me = context('me', withToken);

      await expect(sut.canActivate(me)).resolves.toBe(true);

      expect(asked.count).toBe(1);
      expect(me.switchToHttp().getRequest<{ user?: Principal }>().user).toBe(principal);
    });

    it('challenges a request without a token, without verifying anything', async () => {
      const thrown = await caught(() => sut.canActivate(context('me', withoutToken)));

      expect(thrown).toBeInstanceOf(BearerChallengeException);
      expect((thrown as BearerChallengeException).message).toBe('Missing bearer token');
      expect(asked.count).toBe(0);
    });

    it('challenges a token the verification refuses', async () => {
      const refused = verification(() => Promise.reject(new TokenError('revoked', 'revoked')));
      sut = new JwtAuthGuard(new Reflector(), refused.strategy, csrfTokens);

      const thrown = await caught(() => sut.canActivate(context('me', withToken)));

      expect((thrown as BearerChallengeException).challenge).toContain('error="invalid_token"');
      expect((thrown as BearerChallengeException).message).toBe(
        'The access token has been revoked',
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

      expect(sut.handleRequest(null, principal, me())).toBe(principal);
    });

    it('lets an unavailable revocation store through unchanged: 503, failing closed', async () => {
      const unavailable = new StoreUnavailableError('Redis is not connected');

      const thrown = await caught(() => sut.handleRequest(unavailable, false, me()));

      expect(thrown).toBe(unavailable);
      expect(thrown).toBeInstanceOf(DependencyUnavailableError);
    });

    it('challenges a request without a token, without error="invalid_token"', async () => {
      const thrown = await caught(() => sut.handleRequest(null, false, me(withoutToken)));

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
      const thrown = await caught(() => sut.handleRequest(refusal, false, me(withToken)));

      expect(thrown).toBeInstanceOf(BearerChallengeException);
      const challenge = thrown as BearerChallengeException;
      expect(challenge.getStatus()).toBe(401);
      expect(challenge.tokenPresented).toBe(true);
      expect(challenge.message).toBe(detail);
      expect(challenge.challenge).toContain('error="invalid_token"');
    });

    it('refuses a service token on a route for user tokens', async () => {
      const thrown = await caught(() => sut.handleRequest(null, clientPrincipal(), me()));

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

      expect(sut.handleRequest(null, principal, context)).toBe(principal);
    });
  });
});
