import fastifyCookie from '@fastify/cookie';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strongSecret } from '../../test/support/unit.js';
import { FORM_CSRF_COOKIE, FormCsrf } from './form-csrf.js';
import { HostedPages, type PageData, type PageName } from './hosted-pages.js';
import { pageContentSecurityPolicy } from './page-policy.js';
import { registerHostedPages } from './register-pages.js';

const API_CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'";
const HOSTILE = `"><script>alert(1)</script><img src=x onerror=alert(2)>'&`;

/** A Fastify server with the pages' plugins, as the app registers them, and a route per page. */
async function pagesServer(pages: HostedPages, csrf: FormCsrf): Promise<FastifyInstance> {
  const fastify = Fastify();
  await fastify.register(fastifyCookie, { hook: false });
  await registerHostedPages(fastify);
  // As the app's helmet hook does: an API-wide CSP on the raw response, which pages replace.
  fastify.addHook('onRequest', async (_request, reply) => {
    reply.raw.setHeader('content-security-policy', API_CSP);
  });
  fastify.post<{ Params: { page: PageName }; Body: { data: PageData[PageName]; status?: number } }>(
    '/render/:page',
    async (request, reply) => {
      await pages.render(reply, request.params.page, request.body.data, request.body.status);
    },
  );
  fastify.get('/form', async (request, reply) => ({ token: csrf.tokenFor(request, reply) }));
  fastify.post<{ Body: { csrf_token?: string } }>('/form', async (request) => ({
    accepted: csrf.verify(request, request.body.csrf_token),
  }));
  return fastify;
}

const signIn: PageData['sign-in'] = {
  action: '/oauth/authorize/sign-in',
  csrfToken: 'csrf-token-value',
  authRequest: 'pending-request-ref',
};

describe('hosted pages', () => {
  let fastify: FastifyInstance;
  const csrf = new FormCsrf(strongSecret());

  beforeAll(async () => {
    fastify = await pagesServer(new HostedPages(), csrf);
  });
  afterAll(() => fastify.close());

  const render = <P extends PageName>(page: P, data: PageData[P], status?: number) =>
    fastify.inject({ method: 'POST', url: `/render/${page}`, payload: { data, status } });

  describe('sign-in', () => {
    it('has the labelled fields, the button, the hidden CSRF token and request reference', async () => {
      const response = await render('sign-in', { ...signIn, loginHint: 'ada@example.com' });
      const html = response.body;

      expect(response.statusCode).toBe(200);
      expect(html).toMatch(/<html lang="en">/);
      expect(html).toMatch(/<label for="username">Username or email<\/label>/);
      expect(html).toMatch(/<input id="username" name="username"/);
      expect(html).toMatch(/<label for="password">Password<\/label>/);
      expect(html).toMatch(/<input id="password" name="password" type="password"/);
      expect(html).toMatch(/<button type="submit" class="button primary">Sign in<\/button>/);
      expect(html).toContain('<input type="hidden" name="csrf_token" value="csrf-token-value">');
      expect(html).toContain(
        '<input type="hidden" name="auth_request" value="pending-request-ref">',
      );
      expect(html).toContain('value="ada@example.com"');
      expect(html).toContain('action="/oauth/authorize/sign-in"');
      expect(html).not.toContain('role="alert"');
    });

    it('shows one fixed message, announced to screen readers, for each kind of problem', async () => {
      const messages = await Promise.all(
        (['credentials', 'throttled', 'expired'] as const).map(async (problem) => {
          const html = (await render('sign-in', { ...signIn, problem }, 401)).body;
          expect(html.match(/role="alert"/g)).toHaveLength(1);
          expect(html).toContain('aria-describedby="form-problem"');
          return /role="alert">\s*([^<]+?)\s*<\/p>/.exec(html)?.[1];
        }),
      );

      expect(messages).toEqual([
        'The username, email or password is not right.',
        'Too many attempts. Wait a moment, then try again.',
        'This page expired. Please sign in again.',
      ]);
    });

    it('escapes hostile values everywhere they appear', async () => {
      const response = await render('sign-in', {
        action: HOSTILE,
        csrfToken: HOSTILE,
        authRequest: HOSTILE,
        loginHint: HOSTILE,
        clientName: HOSTILE,
      });

      expect(response.body).not.toContain('<script');
      expect(response.body).not.toContain('<img');
      expect(response.body).not.toContain(HOSTILE);
      expect(response.body).not.toContain(`'&`);
      expect(response.body).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    });
  });

  describe('consent', () => {
    it('names the client, the scopes in words, and offers Allow and Deny', async () => {
      const html = (
        await render('consent', {
          ...signIn,
          clientName: 'Photo Printer',
          scopes: ['openid', 'email', 'offline_access'],
        })
      ).body;

      expect(html).toContain('<strong>Photo Printer</strong> wants to access your account');
      expect(html).toContain('See your email address and whether it is verified');
      expect(html).toContain('Stay signed in when you are not using it');
      expect(html).not.toContain('offline_access');
      expect(html).toMatch(/name="decision" value="allow"[^>]*>Allow<\/button>/);
      expect(html).toMatch(/name="decision" value="deny"[^>]*>Deny<\/button>/);
      expect(html).toContain('name="csrf_token" value="csrf-token-value"');
    });

    it('escapes a hostile client name and unknown scope', async () => {
      const html = (await render('consent', { ...signIn, clientName: HOSTILE, scopes: [HOSTILE] }))
        .body;

      expect(html).not.toContain('<script');
      expect(html).toContain('Use the permission “&quot;&gt;&lt;script&gt;');
    });
  });

  it('renders the error page with its status and escaped text', async () => {
    const response = await render('error', { title: HOSTILE, message: HOSTILE }, 400);

    expect(response.statusCode).toBe(400);
    expect(response.body).not.toContain('<script');
    expect(response.body).toMatch(/<h1>&quot;&gt;&lt;script&gt;/);
  });

  it('links the sign-in page to the forgot-password page', async () => {
    const html = (await render('sign-in', signIn)).body;

    expect(html).toContain('<a href="/account/forgot-password">Forgot password?</a>');
  });

  it('escapes a hostile token and the policy messages on the reset-password page', async () => {
    const html = (
      await render('reset-password', {
        action: '/account/reset-password',
        csrfToken: 'csrf',
        token: HOSTILE,
        problems: [HOSTILE],
      })
    ).body;

    expect(html).not.toContain('<script');
    expect(html).toContain('name="token" value="&quot;&gt;&lt;script&gt;');
    expect(html).toMatch(/role="alert"/);
    expect(html).toContain('<input id="password" name="password" type="password"');
  });

  it('renders the signed-out page', async () => {
    const response = await render('signed-out', {});

    expect(response.body).toContain('<h1>You are signed out</h1>');
    expect(response.body).toContain('<title>Signed out · Auth server</title>');
  });

  describe('headers and markup', () => {
    it.each<[PageName, PageData[PageName]]>([
      ['sign-in', signIn],
      ['consent', { ...signIn, clientName: 'App', scopes: ['openid'] }],
      ['error', { title: 'Not found', message: 'Nothing here.' }],
      ['signed-out', {}],
      ['forgot-password', { action: '/account/forgot-password', csrfToken: 'csrf' }],
      ['reset-requested', {}],
      ['reset-password', { action: '/account/reset-password', csrfToken: 'csrf', token: 't' }],
      ['password-reset', {}],
    ])('%s: strict CSP, no-store, no-referrer, no script or inline style', async (page, data) => {
      const response = await render(page, data);

      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.headers['content-security-policy']).toBe(
        `default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; ` +
          `frame-ancestors 'none'; base-uri 'none'`,
      );
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
      expect(response.body).not.toMatch(/<script|<style|\sstyle=|\son[a-z]+=|javascript:/i);
      expect(response.body).toMatch(
        /<link rel="stylesheet" href="\/assets\/pages\.css\?v=[\w-]{12}">/,
      );
      expect(response.body).toMatch(/<link rel="icon" href="\/assets\/icon\.svg\?v=[\w-]{12}"/);
    });

    it("lets a form's answer redirect to the app's redirect URI, by origin or by scheme", async () => {
      const web = await render('sign-in', { ...signIn, redirectUri: 'https://app.example/cb?x=1' });
      const mobile = await render('sign-in', { ...signIn, redirectUri: 'com.example.app:/cb' });

      expect(web.headers['content-security-policy']).toContain(
        `form-action 'self' https://app.example;`,
      );
      expect(mobile.headers['content-security-policy']).toContain(
        `form-action 'self' com.example.app:;`,
      );
    });

    it('never lets a redirect URI break out of the policy', () => {
      expect(pageContentSecurityPolicy(['not a url; script-src *', 'x;y:/z'])).toContain(
        `form-action 'self';`,
      );
    });
  });

  it('serves the stylesheet with long-lived caching, and nothing else from /assets/', async () => {
    const href = /stylesheet" href="([^"]+)"/.exec((await render('signed-out', {})).body)![1];
    const css = await fastify.inject({ method: 'GET', url: href });
    const missing = await fastify.inject({ method: 'GET', url: '/assets/../views/layout.eta' });
    const listing = await fastify.inject({ method: 'GET', url: '/assets/' });

    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    expect(css.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(css.headers.etag).toBeDefined();
    expect(missing.statusCode).toBe(404);
    expect([403, 404]).toContain(listing.statusCode);
  });

  describe('form CSRF tokens', () => {
    const browser = async () => {
      const response = await fastify.inject({ method: 'GET', url: '/form' });
      const cookie = response.cookies.find((c) => c.name === FORM_CSRF_COOKIE)!;
      return { cookie, token: response.json<{ token: string }>().token };
    };
    const post = (cookie: string | undefined, token: unknown) =>
      fastify
        .inject({
          method: 'POST',
          url: '/form',
          headers: cookie ? { cookie: `${FORM_CSRF_COOKIE}=${cookie}` } : {},
          payload: token === undefined ? {} : { csrf_token: token },
        })
        .then((response) => response.json<{ accepted: boolean }>().accepted);

    it('sets a __Host- cookie (HttpOnly, Secure, SameSite=Lax, Path=/) and accepts its token', async () => {
      const { cookie, token } = await browser();

      expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
      expect(cookie.domain).toBeUndefined();
      expect(token).toMatch(/^[\w-]{43}$/);
      expect(token).not.toBe(cookie.value);
      expect(await post(cookie.value, token)).toBe(true);
    });

    it('keeps the cookie it has: the same browser gets the same token, and no new cookie', async () => {
      const { cookie, token } = await browser();
      const again = await fastify.inject({
        method: 'GET',
        url: '/form',
        headers: { cookie: `${FORM_CSRF_COOKIE}=${cookie.value}` },
      });

      expect(again.json<{ token: string }>().token).toBe(token);
      expect(again.headers['set-cookie']).toBeUndefined();
    });

    it('refuses a missing token, a missing cookie, a wrong token, and another browser’s token', async () => {
      const mine = await browser();
      const theirs = await browser();
      const wrong = mine.token.slice(0, -1) + (mine.token.endsWith('A') ? 'B' : 'A');

      expect(await post(mine.cookie.value, undefined)).toBe(false);
      expect(await post(undefined, mine.token)).toBe(false);
      expect(await post(mine.cookie.value, wrong)).toBe(false);
      expect(await post(mine.cookie.value, theirs.token)).toBe(false);
      expect(await post(mine.cookie.value, mine.cookie.value)).toBe(false);
      expect(await post(mine.cookie.value, [mine.token])).toBe(false);
      expect(await post(mine.cookie.value, mine.token)).toBe(true);
    });

    it('refuses a token made under another key (another deployment)', async () => {
      const { cookie, token } = await browser();
      const other = new FormCsrf(strongSecret());
      const elsewhere = await pagesServer(new HostedPages(), other);
      const accepted = await elsewhere
        .inject({
          method: 'POST',
          url: '/form',
          headers: { cookie: `${FORM_CSRF_COOKIE}=${cookie.value}` },
          payload: { csrf_token: token },
        })
        .then((response) => response.json<{ accepted: boolean }>().accepted);
      await elsewhere.close();

      expect(accepted).toBe(false);
    });
  });
});
