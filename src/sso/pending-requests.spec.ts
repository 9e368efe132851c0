import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/unit.js';
import type { AuthorizationRequest } from './authorization-request.js';
import { PENDING_REQUEST_TTL_SECONDS, PendingRequests } from './pending-requests.js';

const request: AuthorizationRequest = {
  clientId: 'app_0123456789abcdef',
  redirectUri: 'https://app.example.com/cb',
  scope: 'openid',
  state: 's',
  nonce: 'n',
  codeChallenge: 'c'.repeat(43),
  prompt: null,
  maxAge: null,
  loginHint: null,
};

describe(PendingRequests.name, () => {
  const clock = new FakeClock();
  const sut = new PendingRequests(clock, 'test-key-encryption-secret-0123456789abcdef');

  it('opens what it sealed, with the step it waits for', () => {
    const sealed = sut.seal(request, { step: 'consent', ssoSessionId: 'sso-1' });

    expect(sut.open(sealed)).toEqual({
      request,
      wait: { step: 'consent', ssoSessionId: 'sso-1' },
    });
  });

  it('refuses a changed, foreign, malformed or expired form', () => {
    const sealed = sut.seal(request, { step: 'sign-in' });
    const [payload, mac] = sealed.split('.');
    const changed = Buffer.from(
      JSON.stringify({ request: { ...request, redirectUri: 'https://evil.example.com/' } }),
    ).toString('base64url');
    const other = new PendingRequests(clock, 'another-key-encryption-secret-0123456789ab');

    expect(sut.open(`${changed}.${mac}`)).toBeNull();
    expect(sut.open(other.seal(request, { step: 'sign-in' }))).toBeNull();
    expect(sut.open(`${payload}.${mac}.x`)).toBeNull();
    expect(sut.open(payload)).toBeNull();
    expect(sut.open(['a'])).toBeNull();
    clock.advance(PENDING_REQUEST_TTL_SECONDS * 1000);
    expect(sut.open(sealed)).toBeNull();
  });
});
