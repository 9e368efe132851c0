import { describe, expect, it } from 'vitest';
import { ValidationFailedException } from '../common/errors.js';
import { Role } from '../common/role.enum.js';
import { ClientMetadataInput, resolveClientMetadata } from './client-metadata.js';

const spa = (overrides: Partial<ClientMetadataInput> = {}): ClientMetadataInput => ({
  client_name: 'Web app',
  redirect_uris: ['https://app.example.com/cb'],
  grant_types: ['authorization_code', 'refresh_token'],
  token_endpoint_auth_method: 'none',
  ...overrides,
});

function failedFields(input: ClientMetadataInput): string[] {
  try {
    resolveClientMetadata(input);
  } catch (error) {
    if (error instanceof ValidationFailedException) return error.fieldErrors.map((e) => e.field);
    throw error;
  }
  throw new Error('expected a validation failure');
}

describe(resolveClientMetadata.name, () => {
  it('keeps a service client (name only) what it was: confidential, client_credentials', () => {
    expect(resolveClientMetadata({ name: 'billing', roles: [Role.Admin] })).toEqual({
      name: 'billing',
      redirectUris: [],
      postLogoutRedirectUris: [],
      grantTypes: ['client_credentials'],
      tokenEndpointAuthMethod: 'client_secret_basic',
      scope: '',
      firstParty: false,
      roles: [Role.Admin],
    });
  });

  it('defaults a client with redirect URIs to the authorization_code grant and the user scopes', () => {
    const sut = resolveClientMetadata({
      client_name: 'x',
      redirect_uris: ['https://a.example/cb'],
    });
    expect(sut.grantTypes).toEqual(['authorization_code']);
    expect(sut.scope).toBe('openid profile email');
  });

  it('adds offline_access to the default scope when refresh_token is granted', () => {
    expect(resolveClientMetadata(spa()).scope).toBe('openid profile email offline_access');
  });

  it('takes client_name and name together only when they agree', () => {
    expect(resolveClientMetadata(spa({ name: 'Web app' })).name).toBe('Web app');
    expect(failedFields(spa({ name: 'Other' }))).toEqual(['client_name']);
    expect(failedFields({ redirect_uris: [] })).toEqual(['client_name']);
  });

  it.each<[string, Partial<ClientMetadataInput>, string[]]>([
    ['authorization_code without redirect URIs', { redirect_uris: [] }, ['redirect_uris']],
    [
      'redirect URIs without authorization_code',
      {
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: '',
      },
      ['redirect_uris'],
    ],
    [
      'refresh_token without authorization_code',
      { redirect_uris: [], grant_types: ['refresh_token'], scope: '' },
      ['grant_types'],
    ],
    [
      'a public client with client_credentials',
      { grant_types: ['authorization_code', 'client_credentials'] },
      ['token_endpoint_auth_method'],
    ],
    ['roles on a client without client_credentials', { roles: [Role.Admin] }, ['roles']],
    ['an unknown scope', { scope: 'openid admin' }, ['scope']],
    ['a scope without openid', { scope: 'profile' }, ['scope']],
    ['a repeated scope', { scope: 'openid openid' }, ['scope']],
    [
      'offline_access without refresh_token',
      { grant_types: ['authorization_code'], scope: 'openid offline_access' },
      ['scope'],
    ],
    ['a wildcard redirect URI', { redirect_uris: ['https://*.example.com/cb'] }, ['redirect_uris']],
    [
      'a post-logout URI with a fragment',
      { post_logout_redirect_uris: ['https://app.example.com/#bye'] },
      ['post_logout_redirect_uris'],
    ],
  ])('refuses %s, naming the field', (_, overrides, fields) => {
    expect(failedFields(spa(overrides))).toEqual(fields);
  });
});
