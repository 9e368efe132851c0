import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { DOCS_CLIENT_ID, DOCS_CLIENT_SCOPES, docsRedirectUri } from './clients/docs-client.js';
import type { Config } from './config/config.js';
import { METRICS_SECURITY } from './metrics/metrics.controller.js';

/**
 * Every operation that takes a Bearer token also accepts the token the
 * Authorize dialog obtains through OAuth2 (sign-in page or password), so one
 * login in Swagger UI opens every protected operation.
 */
function withOAuth2Alternative(document: OpenAPIObject): OpenAPIObject {
  for (const path of Object.values(document.paths)) {
    for (const operation of Object.values(path) as { security?: Record<string, string[]>[] }[]) {
      if (operation?.security?.some((requirement) => 'bearer' in requirement)) {
        operation.security.push({ oauth2: [] });
      }
    }
  }
  return document;
}

/**
 * Swagger UI at /docs, the document at /docs-json. Authorize signs in
 * through the sign-in page (authorization code with PKCE, as the built-in
 * public client `DOCS_CLIENT_ID`), through the password flow, or takes a
 * pasted access token.
 */
export function setupSwagger(app: NestFastifyApplication, config: Config): void {
  const builder = new DocumentBuilder()
    .setTitle('Auth server')
    .setDescription(
      'Registration, sign-in, JWT access tokens and rotating refresh sessions. ' +
        'Use **Authorize** to sign in on the sign-in page (OAuth2 authorization code with PKCE), ' +
        'with your username and password (OAuth2 password flow; leave client_id empty), ' +
        'or paste an access token as a Bearer token.',
    )
    .setVersion('1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .addOAuth2(
      {
        type: 'oauth2',
        flows: {
          authorizationCode: {
            // Every authorization request needs a nonce. Swagger UI uses the access token only and
            // never reads the ID token the nonce protects, so one per start of the server will do.
            authorizationUrl: `/oauth/authorize?nonce=${randomBytes(16).toString('base64url')}`,
            tokenUrl: '/auth/token',
            refreshUrl: '/auth/token',
            scopes: {
              openid: 'Sign in (required)',
              profile: 'Your name and username',
              email: 'Your email address',
            },
          },
          password: { tokenUrl: '/auth/token', refreshUrl: '/auth/token', scopes: {} },
        },
      },
      'oauth2',
    );
  if (config.metrics.token) {
    // Its own scheme: the metrics token is not an access token, and /metrics is not open.
    builder.addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN (for /metrics only)' },
      METRICS_SECURITY,
    );
  }
  const document = builder.build();
  SwaggerModule.setup(
    'docs',
    app,
    () => withOAuth2Alternative(SwaggerModule.createDocument(app, document)),
    {
      jsonDocumentUrl: 'docs-json',
      yamlDocumentUrl: 'docs-yaml',
      swaggerOptions: {
        persistAuthorization: false,
        // The code comes back to Swagger UI's page on the issuer, the one redirect URI registered.
        oauth2RedirectUrl: docsRedirectUri(config.auth.issuer),
        initOAuth: {
          clientId: DOCS_CLIENT_ID,
          scopes: [...DOCS_CLIENT_SCOPES],
          usePkceWithAuthorizationCodeGrant: true,
        },
      },
    },
  );
}
