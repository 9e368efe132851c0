import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Config } from '../config/config.js';
import { InjectConfig } from '../config/config.module.js';
import { OAuthClientsRepository } from './oauth-clients.repository.js';

/** The built-in client of the API documentation's Authorize dialog (Swagger UI at /docs). */
export const DOCS_CLIENT_ID = 'app_api-docs-console';
export const DOCS_CLIENT_SCOPES = ['openid', 'profile', 'email'] as const;

/** Where Swagger UI receives the authorization code: its own page under /docs, on our issuer. */
export function docsRedirectUri(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/docs/oauth2-redirect.html`;
}

/**
 * Keeps the documentation's client registered, as it is at every start: a
 * public, first-party client (PKCE, no secret, no consent page) whose only
 * redirect URI is Swagger UI's page on this server's issuer. It is made at
 * start-up rather than by a migration because its redirect URI follows
 * JWT_ISSUER; instances starting together write the same row.
 */
@Injectable()
export class DocsClientBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger('DocsClient');

  constructor(
    private readonly clients: OAuthClientsRepository,
    @InjectConfig() private readonly config: Config,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const redirectUri = docsRedirectUri(this.config.auth.issuer);
    await this.clients.upsertBuiltIn({
      clientId: DOCS_CLIENT_ID,
      name: 'API documentation',
      secretHash: null,
      redirectUris: [redirectUri],
      postLogoutRedirectUris: [],
      grantTypes: ['authorization_code', 'refresh_token'],
      tokenEndpointAuthMethod: 'none',
      scope: DOCS_CLIENT_SCOPES.join(' '),
      firstParty: true,
      roles: [],
      disabled: false,
    });
    this.logger.log(`client ${DOCS_CLIENT_ID} redirects to ${redirectUri}`);
  }
}
