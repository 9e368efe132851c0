import { createHash } from 'node:crypto';
import * as oidc from 'openid-client';

/** The S256 code challenge of a PKCE verifier (RFC 7636). */
export const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

/**
 * An app's authorization request with PKCE, nonce and state, as openid-client
 * builds it: the URL to send the user to, and the checks the app keeps to
 * validate the callback.
 */
export function authorizationRequest(
  config: oidc.Configuration,
  redirectUri: string,
  extra: Record<string, string> = {},
) {
  const verifier = oidc.randomPKCECodeVerifier();
  const nonce = oidc.randomNonce();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile email',
    code_challenge: s256(verifier),
    code_challenge_method: 'S256',
    nonce,
    state,
    ...extra,
  });
  return {
    url: url.href,
    checks: { pkceCodeVerifier: verifier, expectedNonce: nonce, expectedState: state },
  };
}
