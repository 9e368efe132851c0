import type { FastifyReply } from 'fastify';

const SCHEME = /^[a-z][a-z0-9+.-]*:$/;

/**
 * The source a form may lead to after a redirect: browsers apply
 * `form-action` to every hop of a form's answer, so a form whose answer
 * redirects to an app (its registered redirect URI) must name it. HTTP(S)
 * addresses by origin, custom schemes of mobile apps by scheme; anything
 * else (unparsable, or that could break out of the header) is left out.
 */
function formActionSource(uri: string): string | null {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return null;
  }
  if (url.protocol === 'https:' || url.protocol === 'http:') return url.origin;
  return SCHEME.test(url.protocol) ? url.protocol : null;
}

/**
 * The Content Security Policy of a hosted page: nothing but our own
 * stylesheet and images, no script at all, forms only to us (and to the
 * apps in `formTargets`), never framed, no `<base>`.
 */
export function pageContentSecurityPolicy(formTargets: readonly string[] = []): string {
  const targets = [
    ...new Set(formTargets.map(formActionSource).filter((s): s is string => s !== null)),
  ];
  return [
    `default-src 'none'`,
    `style-src 'self'`,
    `img-src 'self'`,
    [`form-action 'self'`, ...targets].join(' '),
    `frame-ancestors 'none'`,
    `base-uri 'none'`,
  ].join('; ');
}

/** The headers of every hosted page; the CSP replaces the API's default one. */
export function setPageHeaders(reply: FastifyReply, formTargets: readonly string[] = []): void {
  void reply
    .header('content-security-policy', pageContentSecurityPolicy(formTargets))
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .type('text/html; charset=utf-8');
}
