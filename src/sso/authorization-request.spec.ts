import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { OAuthClient } from '../clients/entities/oauth-client.entity.js';
import { pkceMatches } from './authorization-codes.service.js';
import {
  AuthorizationError,
  parseAuthorizationRequest,
  redirectWith,
  targetOf,
  trustedClient,
  UntrustedRedirectError,
} from './authorization-request.js';

const CALLBACK = 'https://app.example.com/callback';
const VERIFIER = 'v'.repeat(43);
const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

function app(overrides: Partial<OAuthClient> = {}): OAuthClient {
  return Object.assign(new OAuthClient(), {
    clientId: 'app_0123456789abcdef',
    name: 'App',
    redirectUris: [CALLBACK, 'http://127.0.0.1/cb'],
    postLogoutRedirectUris: [],
    grantTypes: ['authorization_code'],
    tokenEndpointAuthMethod: 'none',
    scope: 'openid profile email',
    firstParty: false,
    disabled: false,
    ...overrides,
  });
}

const query = (changes: Record<string, unknown> = {}) => ({
  response_type: 'code',
  client_id: 'app_0123456789abcdef',
  redirect_uri: CALLBACK,
  scope: 'openid email',
  state: 'st',
  nonce: 'nc',
  code_challenge: s256(VERIFIER),
  code_challenge_method: 'S256',
  ...changes,
});

const errorOf = (changes: Record<string, unknown>, client = app()) => {
  try {
    parseAuthorizationRequest(query(changes), client, CALLBACK);
  } catch (error) {
    if (error instanceof AuthorizationError) return error.error;
    throw error;
  }
  return null;
};

describe('authorization request', () => {
  it('reads a valid request', () => {
    expect(
      parseAuthorizationRequest(query({ prompt: 'login', max_age: '30' }), app(), CALLBACK),
    ).toEqual({
      clientId: 'app_0123456789abcdef',
      redirectUri: CALLBACK,
      scope: 'openid email',
      state: 'st',
      nonce: 'nc',
      codeChallenge: s256(VERIFIER),
      prompt: 'login',
      maxAge: 30,
      loginHint: null,
    });
  });

  it.each<[Record<string, unknown>, string]>([
    [{ response_type: 'token' }, 'unsupported_response_type'],
    [{ response_type: undefined }, 'invalid_request'],
    [{ scope: 'email' }, 'invalid_scope'],
    [{ scope: 'openid offline_access' }, 'invalid_scope'],
    [{ state: undefined }, 'invalid_request'],
    [{ state: 'x'.repeat(513) }, 'invalid_request'],
    [{ nonce: undefined }, 'invalid_request'],
    [{ nonce: ['a', 'b'] }, 'invalid_request'],
    [{ code_challenge: undefined }, 'invalid_request'],
    [{ code_challenge_method: 'plain' }, 'invalid_request'],
    [{ code_challenge_method: undefined }, 'invalid_request'],
    [{ code_challenge: 'short' }, 'invalid_request'],
    [{ prompt: 'none login' }, 'invalid_request'],
    [{ max_age: '1.5' }, 'invalid_request'],
  ])('refuses %j with %s', (changes, error) => {
    expect(errorOf(changes)).toBe(error);
  });

  it('refuses a client not registered for the code flow', () => {
    expect(errorOf({}, app({ grantTypes: ['client_credentials'] }))).toBe('unauthorized_client');
  });

  it('trusts only an enabled client with the exact redirect URI (a loopback one on any port)', () => {
    expect(trustedClient(app(), CALLBACK).clientId).toBe('app_0123456789abcdef');
    expect(trustedClient(app(), 'http://127.0.0.1:49152/cb')).toBeTruthy();
    for (const uri of [`${CALLBACK}/`, 'https://APP.example.com/callback', `${CALLBACK}?x=1`]) {
      expect(() => trustedClient(app(), uri)).toThrow(UntrustedRedirectError);
    }
    expect(() => trustedClient(null, CALLBACK)).toThrow(UntrustedRedirectError);
    expect(() => targetOf({ client_id: ['a', 'b'], redirect_uri: CALLBACK })).toThrow(
      UntrustedRedirectError,
    );
  });

  it('adds the response to the redirect URI and keeps its own query', () => {
    expect(redirectWith(`${CALLBACK}?tenant=7`, { code: 'c', state: 'a b&c' })).toBe(
      `${CALLBACK}?tenant=7&code=c&state=a+b%26c`,
    );
    expect(redirectWith('com.example.app:/cb', { error: 'access_denied' })).toBe(
      'com.example.app:/cb?error=access_denied',
    );
  });
});

describe('PKCE S256', () => {
  it('matches the verifier whose hash is the challenge, and nothing else', () => {
    expect(pkceMatches(VERIFIER, s256(VERIFIER))).toBe(true);
    expect(pkceMatches('w'.repeat(43), s256(VERIFIER))).toBe(false);
    // `plain` (the challenge itself as the verifier) is no S256 verifier.
    expect(pkceMatches(s256(VERIFIER), s256(VERIFIER))).toBe(false);
    expect(pkceMatches('short', s256('short'))).toBe(false);
    expect(pkceMatches('v'.repeat(129), s256('v'.repeat(129)))).toBe(false);
  });
});
