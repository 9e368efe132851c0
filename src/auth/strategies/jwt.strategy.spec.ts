import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { newPrincipal } from '../../../test/support/unit.js';
import type { Principal } from '../../common/principal.js';
import { StoreUnavailableError } from '../../redis/key-value-store.js';
import type { AccessTokensService } from '../../tokens/access-tokens.service.js';
import { TokenError } from '../../tokens/token.error.js';
import { JwtStrategy, runStrategy } from './jwt.strategy.js';

const request = (authorization?: string) =>
  ({ headers: authorization ? { authorization } : {} }) as FastifyRequest;

/** The one verification, answering with `answer` and remembering what it was given. */
function verification(answer: () => Promise<Principal>) {
  const tokens: string[] = [];
  const service = {
    authenticate: (token: string) => {
      tokens.push(token);
      return answer();
    },
  };
  return { tokens, sut: new JwtStrategy(service as unknown as AccessTokensService) };
}

describe(JwtStrategy.name, () => {
  it('hands the bearer token to AccessTokensService.authenticate and succeeds with its principal', async () => {
    const principal = newPrincipal();
    const { tokens, sut } = verification(async () => principal);

    const verdict = await runStrategy(sut, request('Bearer abc.def.ghi'));

    expect(verdict).toEqual({ error: null, principal });
    expect(tokens).toEqual(['abc.def.ghi']);
  });

  it('fails, without verifying anything, when no bearer token is sent', async () => {
    const { tokens, sut } = verification(async () => newPrincipal());

    expect(await runStrategy(sut, request())).toEqual({ error: null, principal: false });
    expect(await runStrategy(sut, request('Basic dXNlcjpwYXNz'))).toEqual({
      error: null,
      principal: false,
    });
    expect(tokens).toEqual([]);
  });

  it.each([
    ['a refused token', new TokenError('expired', 'token has expired')],
    ['an unavailable blocklist', new StoreUnavailableError('Redis is not connected')],
  ])('reports %s as an error for the guard to tell apart', async (_, thrown) => {
    const { sut } = verification(() => Promise.reject(thrown));

    expect(await runStrategy(sut, request('Bearer abc.def.ghi'))).toEqual({
      error: thrown,
      principal: false,
    });
  });

  it('keeps concurrent requests apart: each verdict goes to its own request', async () => {
    const principals = [newPrincipal(), newPrincipal()];
    let call = 0;
    const { sut } = verification(async () => principals[call++]);

    const verdicts = await Promise.all([
      runStrategy(sut, request('Bearer one.two.three')),
      runStrategy(sut, request('Bearer four.five.six')),
    ]);

    expect(verdicts.map((verdict) => verdict.principal)).toEqual(principals);
  });
});
