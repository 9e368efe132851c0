import { ForbiddenException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { CSRF_COOKIE, csrfHeader, requestCookie } from '../common/token-cookies.js';
import type { CsrfTokensService } from '../tokens/csrf-tokens.service.js';

/**
 * The CSRF check of cookie mode (signed double-submit): 403 unless the
 * `X-CSRF-Token` header and the `__Host-csrf-token` cookie carry the same
 * token, issued for `sessionId`. The one check, for the JWT guard and for
 * refresh by cookie.
 */
export function checkCsrf(
  csrfTokens: CsrfTokensService,
  sessionId: string | null,
  request: FastifyRequest,
): void {
  const header = csrfHeader(request);
  if (!header) throw new ForbiddenException('Missing X-CSRF-Token header');
  const valid =
    sessionId !== null &&
    header === requestCookie(request, CSRF_COOKIE) &&
    csrfTokens.isValidFor(sessionId, header);
  if (!valid) throw new ForbiddenException('Invalid CSRF token');
}
