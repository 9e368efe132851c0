import type { OAuthClient } from '../clients/entities/oauth-client.entity.js';
import { redirectUriMatches } from '../clients/redirect-uri.js';

/**
 * The authorization request (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2.1)
 * in this server's strict profile: `response_type=code` only, `openid` in
 * the scope, `state`, `nonce` and a PKCE S256 challenge from every client.
 */
export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  /** Granted as asked: every one registered for the client. */
  scope: string;
  state: string;
  nonce: string;
  codeChallenge: string;
  prompt: Prompt | null;
  /** Seconds since the sign-in after which the user must enter the password again. */
  maxAge: number | null;
  loginHint: string | null;
}

export const PROMPTS = ['none', 'login', 'consent'] as const;
export type Prompt = (typeof PROMPTS)[number];

/** The client or redirect URI cannot be trusted: shown on our error page, never redirected to. */
export class UntrustedRedirectError extends Error {}

/** An error for the client, sent to its redirect URI (RFC 6749 §4.1.2.1). */
export class AuthorizationError extends Error {
  constructor(
    readonly error: string,
    description: string,
  ) {
    super(description);
  }
}

/** S256 of a verifier of 43 to 128 characters is 43 base64url characters (RFC 7636 §4.2). */
const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const MAX_STATE = 512;
const MAX_NONCE = 255;
const MAX_LOGIN_HINT = 254;

type Query = Record<string, unknown>;

/** One value of a parameter: absent, or a string; repeated parameters are an error (§3.1.2.1). */
function single(query: Query, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw new AuthorizationError('invalid_request', `${name} must be given once`);
  }
  return value;
}

/** The client id and redirect URI the request names, or `UntrustedRedirectError`. */
export function targetOf(query: Query): { clientId: string; redirectUri: string } {
  const clientId = query.client_id;
  const redirectUri = query.redirect_uri;
  if (typeof clientId !== 'string' || typeof redirectUri !== 'string') {
    throw new UntrustedRedirectError('The request names no application or no redirect URI.');
  }
  return { clientId, redirectUri };
}

/** `client` (enabled, found by its id) if `redirectUri` is registered for it; else `UntrustedRedirectError`. */
export function trustedClient(client: OAuthClient | null, redirectUri: string): OAuthClient {
  if (!client) throw new UntrustedRedirectError('The application is not known here.');
  if (!redirectUriMatches(client.redirectUris, redirectUri)) {
    throw new UntrustedRedirectError('The redirect URI is not registered for this application.');
  }
  return client;
}

/** The request's parameters checked against the profile and the client's registration. */
export function parseAuthorizationRequest(
  query: Query,
  client: OAuthClient,
  redirectUri: string,
): AuthorizationRequest {
  const responseType = single(query, 'response_type');
  if (responseType === undefined) throw invalid('response_type is required');
  if (responseType !== 'code') {
    throw new AuthorizationError(
      'unsupported_response_type',
      'Only response_type=code is supported',
    );
  }
  if (!client.grantTypes.includes('authorization_code')) {
    throw new AuthorizationError('unauthorized_client', 'This client may not use the code flow');
  }
  return {
    clientId: client.clientId,
    redirectUri,
    scope: parseScope(single(query, 'scope'), client),
    state: required(query, 'state', MAX_STATE),
    nonce: required(query, 'nonce', MAX_NONCE),
    codeChallenge: parseCodeChallenge(query),
    prompt: parsePrompt(single(query, 'prompt')),
    maxAge: parseMaxAge(single(query, 'max_age')),
    loginHint: single(query, 'login_hint')?.slice(0, MAX_LOGIN_HINT) || null,
  };
}

function invalid(description: string): AuthorizationError {
  return new AuthorizationError('invalid_request', description);
}

function required(query: Query, name: string, maxLength: number): string {
  const value = single(query, name);
  if (!value) throw invalid(`${name} is required`);
  if (value.length > maxLength) throw invalid(`${name} is longer than ${maxLength} characters`);
  return value;
}

function parseScope(raw: string | undefined, client: OAuthClient): string {
  const scopes = [...new Set((raw ?? '').split(' ').filter(Boolean))];
  if (!scopes.includes('openid')) {
    throw new AuthorizationError('invalid_scope', 'The scope must include openid');
  }
  const registered = client.scope.split(' ');
  const unknown = scopes.filter((scope) => !registered.includes(scope));
  if (unknown.length > 0) {
    const named = unknown.join(' ').slice(0, 100);
    throw new AuthorizationError('invalid_scope', `Scope not allowed for this client: ${named}`);
  }
  return scopes.join(' ');
}

function parseCodeChallenge(query: Query): string {
  const challenge = single(query, 'code_challenge');
  const method = single(query, 'code_challenge_method');
  if (!challenge) throw invalid('code_challenge is required (PKCE)');
  if (method !== 'S256') throw invalid('code_challenge_method must be S256');
  if (!CODE_CHALLENGE.test(challenge)) throw invalid('code_challenge is malformed');
  return challenge;
}

function parsePrompt(raw: string | undefined): Prompt | null {
  if (raw === undefined || raw === '') return null;
  if (!(PROMPTS as readonly string[]).includes(raw)) {
    throw invalid(`prompt must be one of ${PROMPTS.join(', ')}`);
  }
  return raw as Prompt;
}

function parseMaxAge(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  if (!/^\d{1,9}$/.test(raw)) throw invalid('max_age must be a number of seconds');
  return Number(raw);
}

/**
 * The client's redirect URI with the response (RFC 6749 §4.1.2) and the
 * issuer (RFC 9207) added to its query; its own query is kept.
 */
export function redirectWith(redirectUri: string, parameters: Record<string, string>): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(parameters)) url.searchParams.append(name, value);
  return url.toString();
}

/** An error response for the client's redirect URI: `error`, `error_description`, `state`, `iss`. */
export function errorLocation(
  redirectUri: string,
  error: AuthorizationError,
  state: string | undefined,
  issuer: string,
): string {
  return redirectWith(redirectUri, {
    error: error.error,
    error_description: error.message,
    ...(state !== undefined ? { state } : {}),
    iss: issuer,
  });
}
