import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Where a device token travels (see docs/brute-force.md). Browsers keep it
 * in an `HttpOnly` cookie that only the sign-in routes under `/auth` see;
 * API clients read it from that `Set-Cookie` and send it back in the header.
 */
export const DEVICE_COOKIE = '__Secure-device-token';
export const DEVICE_HEADER = 'x-device-token';
export const DEVICE_COOKIE_PATH = '/auth';

/** Longer values are no device token of ours; they are not even parsed. */
const MAX_LENGTH = 200;

/** The device tokens a request carries, header first; missing or oversized ones are `undefined`. */
export function presentedDeviceTokens(request: FastifyRequest): (string | undefined)[] {
  const header = request.headers[DEVICE_HEADER];
  const cookies = request.headers.cookie ? request.server.parseCookie(request.headers.cookie) : {};
  return [typeof header === 'string' ? header : undefined, cookies[DEVICE_COOKIE]].map((token) =>
    token && token.length <= MAX_LENGTH ? token : undefined,
  );
}

export function setDeviceCookie(reply: FastifyReply, token: string, maxAgeSeconds: number): void {
  const options: CookieSerializeOptions = {
    httpOnly: true,
    secure: true,
    sameSite: 'strict',
    path: DEVICE_COOKIE_PATH,
    maxAge: maxAgeSeconds,
  };
  void reply.setCookie(DEVICE_COOKIE, token, options);
}
