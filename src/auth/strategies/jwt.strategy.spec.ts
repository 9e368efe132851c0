import { describe, expect, it } from 'vitest';
import { newPrincipal } from '../../../test/support/unit.js';
import type { Principal } from '../../common/principal.js';
import { StoreUnavailableError } from '../../redis/key-value-store.js';
import type { AccessTokensService } from '../../tokens/access-tokens.service.js';
import { TokenError } from '../../tokens/token.error.js';
import { JwtStrategy } from './jwt.strategy.js';

type Outcome = { success: Principal } | { fail: true } | { error: unknown };

/** Runs the strategy the way Passport does: on a copy, with the three outcomes bound to it. */
function authenticate(sut: JwtStrategy, authorization?: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const run = Object.assign(Object.create(sut) as JwtStrategy, {
      success: (principal: Principal) => resolve({ success: principal }),
      fail: () => resolve({ fail: true }),
      error: (error: unknown) => resolve({ error }),
    });
    run.authenticate({ headers: authorization ? { authorization } : {} } as never);
  });
}

/** The one verification, answering with `answer` and remembering what it was given. */
function verification(answer: () => Promise<Principal>) {
  const tokens: string[] = [];
  const service = {
    authenticate: (token: string) => {
      tokens.push(token);
      return answer();
    },
  };
  return { tokens, service: service as unknown as AccessTokensService };
}

describe(JwtStrategy.name, () => {
  it('hands the bearer token to AccessTokensService.authenticate and succeeds with its principal', async () => {
    const principal = newPrincipal();
    const { tokens, service } = verification(async () => principal);

    const outcome = await authenticate(new JwtStrategy(service), 'Bearer abc.def.ghi');

    expect(outcome).toEqual({ success: principal });
    expect(tokens).toEqual(['abc.def.ghi']);
  });

  it('fails, without verifying anything, when no bearer token is sent', async () => {
    const { tokens, service } = verification(async () => newPrincipal());
    const sut = new JwtStrategy(service);

    expect(await authenticate(sut)).toEqual({ fail: true });
    expect(await authenticate(sut, 'Basic dXNlcjpwYXNz')).toEqual({ fail: true });
    expect(tokens).toEqual([]);
  });

  it.each([
    ['a refused token', new TokenError('expired', 'token has expired')],
    ['an unavailable blocklist', new StoreUnavailableError('Redis is not connected')],
  ])('reports %s as an error for the guard to tell apart', async (_, thrown) => {
    const { service } = verification(() => Promise.reject(thrown));

    const outcome = await authenticate(new JwtStrategy(service), 'Bearer abc.def.ghi');

    expect(outcome).toEqual({ error: thrown });
  });
});
