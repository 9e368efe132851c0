import { BadRequestException } from '@nestjs/common';
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Cookie mode for first-party web apps (docs/token-flows.md): the header
 * that asks for it, and the cookies that then carry the tokens.
 */
export const TOKEN_DELIVERY_HEADER = 'x-token-delivery';
/** `__Host-`: Secure, Path=/ and no Domain, so no subdomain can set or shadow it. */
export const ACCESS_COOKIE = '__Host-access-token';
/** `__Secure-` rather than `__Host-`, which requires Path=/: only the refresh route sees it. */
export const REFRESH_COOKIE = '__Secure-refresh-token';
export const REFRESH_COOKIE_PATH = '/auth/refresh';
/** Readable by the page (not HttpOnly), which sends it back in the header. */
export const CSRF_COOKIE = '__Host-csrf-token';
export const CSRF_HEADER = 'x-csrf-token';

/** Longer values are no token of ours; they are not even compared. */
const MAX_LENGTH = 4096;

/** Whether the request asks for cookie mode (`X-Token-Delivery: cookie`; `body`, or no header, is the default). */
export function wantsCookieDelivery(request: FastifyRequest): boolean {
  const mode = request.headers[TOKEN_DELIVERY_HEADER];
  if (mode === undefined || mode === 'body') return false;
  if (mode === 'cookie') return true;
  throw new BadRequestException('X-Token-Delivery must be "cookie" or "body"');
}

/** One cookie of the request; parsed only when asked for (never on the bearer path). */
export function requestCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  const value = request.server.parseCookie(header)[name];
  return value && value.length <= MAX_LENGTH ? value : undefined;
}

/** The `X-CSRF-Token` header, if it is one string. */
export function csrfHeader(request: FastifyRequest): string | undefined {
  const value = request.headers[CSRF_HEADER];
  return typeof value === 'string' && value.length <= MAX_LENGTH ? value : undefined;
}

export interface SessionCookies {
  accessToken: string;
  accessMaxAge: number;
  refreshToken: string;
  /** Until the session's absolute end; the CSRF token lives as long. */
  refreshMaxAge: number;
  csrfToken: string;
}

const strict = (path: string, maxAge: number, httpOnly = true): CookieSerializeOptions => ({
  httpOnly,
  secure: true,
  sameSite: 'strict',
  path,
  maxAge,
});

export function setSessionCookies(reply: FastifyReply, cookies: SessionCookies): void {
  void reply.setCookie(ACCESS_COOKIE, cookies.accessToken, strict('/', cookies.accessMaxAge));
  void reply.setCookie(
    REFRESH_COOKIE,
    cookies.refreshToken,
    strict(REFRESH_COOKIE_PATH, cookies.refreshMaxAge),
  );
  void reply.setCookie(CSRF_COOKIE, cookies.csrfToken, strict('/', cookies.refreshMaxAge, false));
}

/** Expires all three (same name, path and attributes, so the browser replaces each). */
export function clearSessionCookies(reply: FastifyReply): void {
  void reply.clearCookie(ACCESS_COOKIE, strict('/', 0));
  void reply.clearCookie(REFRESH_COOKIE, strict(REFRESH_COOKIE_PATH, 0));
  void reply.clearCookie(CSRF_COOKIE, strict('/', 0, false));
}
