import type { OAuthClient } from '../clients/entities/oauth-client.entity.js';

/** Why the sign-in form is shown again: wrong credentials, too many attempts, or an unverified address. */
export type SignInFailure =
  | { reason: 'invalid_credentials' }
  | { reason: 'throttled'; retryAfter: number }
  | { reason: 'email_not_verified' };

/** What the browser gets next: a redirect to the app, or one of our forms. */
export type AuthorizationStep =
  | { kind: 'redirect'; location: string }
  | {
      kind: 'sign-in';
      client: OAuthClient;
      /** The app's redirect URI, where the form's answer may lead. */
      redirectUri: string;
      pending: string;
      loginHint: string | null;
      failure?: SignInFailure;
    }
  | {
      kind: 'consent';
      client: OAuthClient;
      redirectUri: string;
      pending: string;
      scopes: string[];
    };

/** A step, and what the sign-in adds to the response: a new SSO cookie, a device token. */
export interface SignInResult {
  step: AuthorizationStep;
  ssoToken: string | null;
  deviceToken: string | null;
}

export interface SignInForm {
  request: unknown;
  username: string;
  password: string;
}
