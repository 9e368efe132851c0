import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** Swagger UI at /docs, the document at /docs-json. Authorize logs in through the OAuth2 password flow. */
export function setupSwagger(app: NestFastifyApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Auth server')
    .setDescription(
      'Registration, sign-in, JWT access tokens and rotating refresh sessions. ' +
        'Use **Authorize** with your username and password (OAuth2 password flow), ' +
        'or paste an access token as a Bearer token.',
    )
    .setVersion('1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .addOAuth2(
      { type: 'oauth2', flows: { password: { tokenUrl: '/auth/token', refreshUrl: '/auth/token', scopes: {} } } },
      'oauth2',
    )
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, config), {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
    swaggerOptions: { persistAuthorization: false },
  });
}
