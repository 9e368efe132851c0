import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AppRoute, appRoutes, openApiPath } from './support/factories.js';
import { useTestApp } from './support/test-app.js';

interface Operation {
  summary?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: {
    securitySchemes: Record<string, Record<string, unknown>>;
    schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }>;
  };
}

const label = (route: AppRoute) => `${route.method} ${route.path}`;
const operationOf = (doc: OpenApiDocument, route: AppRoute) =>
  doc.paths[openApiPath(route.path)]?.[route.method.toLowerCase()];

describe('API documentation', () => {
  // With METRICS_TOKEN, so that /metrics exists and is documented like the others.
  const env = { METRICS_TOKEN: randomBytes(32).toString('base64url') };
  const t = useTestApp({ env });

  it('serves Swagger UI at /docs', async () => {
    const response = await t.http.get('/docs').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.text).toContain('swagger-ui');
  });

  it('documents every route of the running app, each with a tag', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body as OpenApiDocument;
    expect(doc.openapi).toMatch(/^3\./);
    const routes = appRoutes(t.app);
    expect(routes.length).toBeGreaterThanOrEqual(15);
    expect(routes.filter((route) => !operationOf(doc, route)).map(label)).toEqual([]);
    expect(routes.filter((route) => !operationOf(doc, route)?.tags?.length).map(label)).toEqual([]);
  });

  // The build is what `npm start` serves; only it carries the CLI plugin's schemas and doc comments.
  describe('as built by `nest build`', () => {
    const built = useTestApp({ compiled: true, env });
    let doc: OpenApiDocument;
    let routes: AppRoute[];
    beforeAll(async () => {
      doc = (await built.http.get('/docs-json').expect(200)).body as OpenApiDocument;
      routes = appRoutes(built.app);
    });

    it('documents every route with a summary and a tag', () => {
      expect(routes.length).toBeGreaterThanOrEqual(15);
      expect(routes.filter((route) => !operationOf(doc, route)).map(label)).toEqual([]);
      const lacking = routes.filter((route) => {
        const operation = operationOf(doc, route);
        return !operation?.summary?.trim() || !operation.tags?.length;
      });
      expect(lacking.map(label)).toEqual([]);
    });

    it('marks every guarded route as needing the Bearer token', () => {
      const undocumented = routes
        .filter((route) => !route.isPublic)
        .filter(
          (route) =>
            !operationOf(doc, route)?.security?.some(
              (requirement) => 'bearer' in requirement || 'oauth2' in requirement,
            ),
        );
      expect(undocumented.map(label)).toEqual([]);
    });

    it('documents /metrics under the metrics token, never as open or as taking an access token', () => {
      const metrics = routes.find((route) => label(route) === 'GET /metrics');
      expect(metrics).toBeDefined();
      expect(operationOf(doc, metrics!)?.security).toEqual([{ metrics: [] }]);
      expect(doc.components.securitySchemes.metrics).toMatchObject({
        type: 'http',
        scheme: 'bearer',
      });
    });

    it('offers Bearer auth, the OAuth2 code flow with the sign-in page, and the password flow', () => {
      expect(doc.components.securitySchemes.bearer).toMatchObject({
        type: 'http',
        scheme: 'bearer',
      });
      expect(doc.components.securitySchemes.oauth2).toMatchObject({
        type: 'oauth2',
        flows: {
          password: { tokenUrl: '/auth/token' },
          authorizationCode: {
            authorizationUrl: expect.stringMatching(/^\/oauth\/authorize\?nonce=[\w-]{22}$/),
            tokenUrl: '/auth/token',
          },
        },
      });
    });

    it('describes the registration body from RegisterUserDto', () => {
      const schema = doc.components.schemas.RegisterUserDto;
      expect(Object.keys(schema.properties ?? {})).toEqual(
        expect.arrayContaining(['email', 'username', 'password']),
      );
      expect(schema.required).toEqual(expect.arrayContaining(['email', 'username', 'password']));
      const body = doc.paths['/auth/register'].post.requestBody;
      expect(body?.content['application/json'].schema.$ref).toBe(
        '#/components/schemas/RegisterUserDto',
      );
    });
  });
});
