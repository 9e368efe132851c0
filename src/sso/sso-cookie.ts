import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The SSO session's cookie: `__Host-` (Secure, no Domain, Path=/, so no
 * subdomain can set or read it), HttpOnly, and `SameSite=Lax` so that it
 * comes along when an app sends the browser here (a top-level GET) but not
 * on a cross-site POST.
 */
export const SSO_COOKIE = '__Host-sso';

export function readSsoCookie(request: FastifyRequest): string | undefined {
  if (!request.headers.cookie) return undefined;
  const value = request.server.parseCookie(request.headers.cookie)[SSO_COOKIE];
  return value && value.length <= 64 ? value : undefined;
}

export function setSsoCookie(reply: FastifyReply, token: string, maxAgeSeconds: number): void {
  void reply.setCookie(SSO_COOKIE, token, {
    httpOnly: true,
    secure: true,
    sameSite: 'lax',
    path: '/',
    maxAge: maxAgeSeconds,
  });
}

export function clearSsoCookie(reply: FastifyReply): void {
  void reply.clearCookie(SSO_COOKIE, { httpOnly: true, secure: true, sameSite: 'lax', path: '/' });
}
