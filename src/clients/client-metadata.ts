import { ValidationFailedException } from '../common/errors.js';
import type { FieldError } from '../common/problem.js';
import type { Role } from '../common/role.enum.js';
import { redirectUriProblem } from './redirect-uri.js';

/** Grant types a client may register (RFC 7591 §2); the password grant is for no registered client. */
export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

/** How a client authenticates at the token endpoint; `none` is a public client (no secret). */
export const TOKEN_ENDPOINT_AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'none',
] as const;
export type TokenEndpointAuthMethod = (typeof TOKEN_ENDPOINT_AUTH_METHODS)[number];

/** The scopes a client may register: those of users signing in to it. */
export const SUPPORTED_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

/** RFC 7591 client metadata as an admin or the CLI sends it; `name` is the older spelling of `client_name`. */
export interface ClientMetadataInput {
  client_name?: string;
  name?: string;
  redirect_uris?: string[];
  post_logout_redirect_uris?: string[];
  grant_types?: GrantType[];
  token_endpoint_auth_method?: TokenEndpointAuthMethod;
  scope?: string;
  first_party?: boolean;
  roles?: Role[];
}

/** Complete, consistent metadata: what is stored. */
export interface ClientMetadata {
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: GrantType[];
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  scope: string;
  firstParty: boolean;
  roles: Role[];
}

/**
 * The metadata with defaults filled in, or a 400 naming every field that
 * breaks a rule. Defaults: `grant_types` `["authorization_code"]` with
 * redirect URIs and `["client_credentials"]` without (a service);
 * `token_endpoint_auth_method` `client_secret_basic` (RFC 7591 §2); `scope`
 * every user scope the grants can use.
 */
export function resolveClientMetadata(input: ClientMetadataInput): ClientMetadata {
  const errors: FieldError[] = [];
  const fail = (field: string, message: string) => errors.push({ field, messages: [message] });
  const redirectUris = input.redirect_uris ?? [];
  const grantTypes = input.grant_types ?? [
    redirectUris.length > 0 ? 'authorization_code' : 'client_credentials',
  ];
  const metadata: ClientMetadata = {
    name: clientName(input, fail),
    redirectUris,
    postLogoutRedirectUris: input.post_logout_redirect_uris ?? [],
    grantTypes,
    tokenEndpointAuthMethod: input.token_endpoint_auth_method ?? 'client_secret_basic',
    scope: input.scope ?? defaultScope(grantTypes),
    firstParty: input.first_party ?? false,
    roles: input.roles ?? [],
  };
  checkUris('redirect_uris', metadata.redirectUris, fail);
  checkUris('post_logout_redirect_uris', metadata.postLogoutRedirectUris, fail);
  checkConsistency(metadata, fail);
  if (errors.length > 0) throw new ValidationFailedException(errors);
  return metadata;
}

type Fail = (field: string, message: string) => void;

function clientName(input: ClientMetadataInput, fail: Fail): string {
  const { client_name: clientName, name } = input;
  if (clientName !== undefined && name !== undefined && clientName !== name) {
    fail('client_name', 'client_name and its alias name differ; send one of them');
  }
  const chosen = clientName ?? name;
  if (chosen === undefined) fail('client_name', 'client_name is required');
  return chosen ?? '';
}

function defaultScope(grantTypes: readonly GrantType[]): string {
  if (!grantTypes.includes('authorization_code')) return '';
  const scopes = ['openid', 'profile', 'email'];
  if (grantTypes.includes('refresh_token')) scopes.push('offline_access');
  return scopes.join(' ');
}

function checkUris(field: string, uris: readonly string[], fail: Fail): void {
  for (const uri of uris) {
    const problem = redirectUriProblem(uri);
    if (problem) fail(field, `${JSON.stringify(uri.slice(0, 100))} ${problem}`);
  }
}

/** The rules between fields (RFC 7591 §2.1, and this server's strict profile). */
function checkConsistency(metadata: ClientMetadata, fail: Fail): void {
  const grants = new Set(metadata.grantTypes);
  const code = grants.has('authorization_code');
  if (code && metadata.redirectUris.length === 0) {
    fail('redirect_uris', 'redirect_uris are required for the authorization_code grant');
  }
  if (!code && metadata.redirectUris.length > 0) {
    fail('redirect_uris', 'redirect_uris are only for the authorization_code grant');
  }
  if (!code && metadata.postLogoutRedirectUris.length > 0) {
    fail(
      'post_logout_redirect_uris',
      'post_logout_redirect_uris are only for the authorization_code grant',
    );
  }
  if (grants.has('refresh_token') && !code) {
    fail('grant_types', 'refresh_token is only granted together with authorization_code');
  }
  const isPublic = metadata.tokenEndpointAuthMethod === 'none';
  if (isPublic && grants.has('client_credentials')) {
    fail('token_endpoint_auth_method', 'a public client (none) cannot use client_credentials');
  }
  if (metadata.roles.length > 0 && !grants.has('client_credentials')) {
    fail('roles', 'roles are only for the tokens of the client_credentials grant');
  }
  checkScope(metadata, fail);
}

function checkScope(metadata: ClientMetadata, fail: Fail): void {
  const { scope, grantTypes } = metadata;
  if (!grantTypes.includes('authorization_code')) {
    if (scope !== '') fail('scope', 'scope is only for the authorization_code grant');
    return;
  }
  const scopes = scope.split(' ');
  const unknown = scopes.filter(
    (value) => !(SUPPORTED_SCOPES as readonly string[]).includes(value),
  );
  if (unknown.length > 0) {
    fail('scope', `scope must be space-separated values of: ${SUPPORTED_SCOPES.join(', ')}`);
  } else if (new Set(scopes).size !== scopes.length) {
    fail('scope', 'scope lists a value twice');
  } else if (!scopes.includes('openid')) {
    fail('scope', 'scope must include openid for the authorization_code grant');
  } else if (scopes.includes('offline_access') && !grantTypes.includes('refresh_token')) {
    fail('scope', 'offline_access needs the refresh_token grant');
  }
}
