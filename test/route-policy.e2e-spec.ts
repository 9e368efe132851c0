import { randomBytes, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AppRoute, appRoutes, bearer, expectProblem, signUp } from './support/factories.js';
import { useTestApp } from './support/test-app.js';

/**
 * Every route open without an access token, no more and no fewer. Opening
 * another one (or closing one) must be a deliberate change to this list.
 */
const PUBLIC_ROUTES = [
  'GET /health/live',
  'GET /health/ready',
  'GET /.well-known/jwks.json',
  'GET /.well-known/openid-configuration',
  'POST /auth/register',
  'POST /auth/login',
  'POST /auth/refresh',
  // OAuth2 endpoints authenticate their clients themselves.
  'POST /auth/token',
  'POST /oauth/revoke',
  'POST /oauth/introspect',
  // Browser sign-in: the user signs in here (the forms carry CSRF tokens), and the
  // end-session endpoint is called by apps with an ID token hint, or by the browser alone.
  'GET /oauth/authorize',
  'POST /auth/sign-in',
  'POST /auth/consent',
  'GET /oauth/end-session',
  'POST /oauth/end-session',
  // Forgotten passwords: the caller cannot sign in; the reset token is the credential, and
  // the hosted forms carry CSRF tokens.
  'POST /auth/password/forgot',
  'POST /auth/password/reset',
  'GET /account/forgot-password',
  'POST /account/forgot-password',
  'GET /account/reset-password',
  'POST /account/reset-password',
  // Links from account mails: the token in the body or form is the credential (the forms carry
  // CSRF tokens, and a GET only shows a button).
  'POST /auth/email/verify',
  'POST /auth/email/change/report',
  'GET /account/verify-email',
  'POST /account/verify-email',
  'GET /account/report-email-change',
  'POST /account/report-email-change',
];
/**
 * Public GET routes whose answer to a request without parameters is not 200:
 * the authorization endpoint shows its error page (an authorization request
 * needs a client and a redirect URI), and so do the account pages without
 * the token of a mailed link.
 */
const PUBLIC_GET_STATUS: Record<string, number> = {
  'GET /oauth/authorize': 400,
  // A reset link without its token shows the error page.
  'GET /account/reset-password': 400,
  'GET /account/verify-email': 400,
  'GET /account/report-email-change': 400,
};
/**
 * Routes that take no access token because a guard of their own asks for a
 * secret of their own (the app below is started with METRICS_TOKEN, so that
 * /metrics exists). Without the secret they answer 401, whatever token is sent.
 */
const OWN_SECRET_ROUTES = ['GET /metrics'];

const key = (route: AppRoute) => `${route.method} ${route.path}`;
/** A concrete URL for a route: every `:param` becomes a random UUID. */
const urlOf = (route: AppRoute) => route.path.replace(/:[A-Za-z0-9_]+/g, () => randomUUID());

describe('route policy: every route is public on purpose or guarded', () => {
  const t = useTestApp({ env: { METRICS_TOKEN: randomBytes(32).toString('base64url') } });
  let routes: AppRoute[];
  let userToken: string;

  beforeAll(async () => {
    routes = appRoutes(t.app);
    userToken = (await signUp(t.http)).tokens.access_token;
  });

  const request = (route: AppRoute, token?: string) => {
    const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
    const pending = t.http[method](urlOf(route));
    if (token) pending.set(bearer(token));
    return ['post', 'put', 'patch'].includes(method) ? pending.send({}) : pending;
  };

  it('finds the routes of every controller', () => {
    const found = routes.map(key);
    expect(found).toEqual(
      expect.arrayContaining([
        ...PUBLIC_ROUTES,
        ...OWN_SECRET_ROUTES,
        'GET /users/me',
        'GET /auth/me',
        'GET /admin/users',
        'DELETE /admin/users/:id',
      ]),
    );
    expect(new Set(found).size).toBe(found.length);
  });

  it('opens exactly the listed public and own-secret routes', () => {
    const open = routes.filter((route) => route.isPublic).map(key);

    expect(open.sort()).toEqual([...PUBLIC_ROUTES, ...OWN_SECRET_ROUTES].sort());
  });

  it('guards every own-secret route with a guard of its own', () => {
    const ownSecret = routes.filter((route) => OWN_SECRET_ROUTES.includes(key(route)));
    expect(ownSecret.map(key)).toEqual(OWN_SECRET_ROUTES);
    expect(ownSecret.filter((route) => route.guards.length === 0).map(key)).toEqual([]);
  });

  it('answers 401 with a Bearer challenge on every own-secret route without its secret, even to an access token', async () => {
    const open: string[] = [];
    for (const route of routes.filter((route) => OWN_SECRET_ROUTES.includes(key(route)))) {
      const anonymous = await request(route);
      const withAccessToken = await request(route, userToken);
      if (anonymous.status !== 401 || withAccessToken.status !== 401) {
        open.push(`${key(route)} → ${anonymous.status}, ${withAccessToken.status}`);
        continue;
      }
      expectProblem(anonymous, 401);
      expect(anonymous.headers['www-authenticate'], key(route)).toBe('Bearer realm="auth"');
      expectProblem(withAccessToken, 401);
      expect(withAccessToken.headers['www-authenticate']).toContain('error="invalid_token"');
    }
    expect(open).toEqual([]);
  });

  it('requires the admin role on every /admin route, and no public route has roles', () => {
    const admin = routes.filter(
      (route) => route.path === '/admin' || route.path.startsWith('/admin/'),
    );
    expect(admin.length).toBeGreaterThanOrEqual(4);
    expect(
      admin.filter((route) => !route.roles.includes('admin') || route.isPublic).map(key),
    ).toEqual([]);
    expect(routes.filter((route) => route.isPublic && route.roles.length > 0).map(key)).toEqual([]);
  });

  it('answers 401 with a Bearer challenge on every non-public route without a token', async () => {
    const guarded = routes.filter((route) => !route.isPublic);
    expect(guarded.length).toBeGreaterThanOrEqual(10);
    const open: string[] = [];
    for (const route of guarded) {
      const response = await request(route);
      if (response.status !== 401) {
        open.push(`${key(route)} → ${response.status}`);
        continue;
      }
      expectProblem(response, 401);
      expect(response.headers['www-authenticate'], key(route)).toBe('Bearer realm="auth"');
    }
    expect(open).toEqual([]);
  });

  it('answers 403 on every /admin route to a plain user', async () => {
    const admin = routes.filter((route) => route.path.startsWith('/admin/'));
    const allowed: string[] = [];
    for (const route of admin) {
      const response = await request(route, userToken);
      if (response.status !== 403) allowed.push(`${key(route)} → ${response.status}`);
      else expectProblem(response, 403);
    }
    expect(allowed).toEqual([]);
  });

  it('serves the public GET routes without a token', async () => {
    const servedToAll = routes.filter(
      (route) => route.isPublic && !OWN_SECRET_ROUTES.includes(key(route)),
    );
    for (const route of servedToAll.filter((route) => route.method === 'GET')) {
      const response = await request(route);
      expect(response.status, key(route)).toBe(PUBLIC_GET_STATUS[key(route)] ?? 200);
    }
  });
});
