import type { FastifyRequest } from 'fastify';

/** Where a request came from, as a session records it (user agent and client IP). */
export interface RequestOrigin {
  userAgent: string | null;
  ip: string | null;
}

/** The IP is Fastify's `request.ip`, which honours TRUST_PROXY. */
export function requestOrigin(request: FastifyRequest): RequestOrigin {
  const userAgent = request.headers['user-agent'];
  return { userAgent: typeof userAgent === 'string' ? userAgent : null, ip: request.ip ?? null };
}
