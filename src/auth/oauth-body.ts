import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import type { PresentedClient } from '../clients/oauth-clients.service.js';
import { OAuthException } from '../common/errors.js';
import type { RequestOrigin } from '../common/request-origin.js';
import { fieldErrors } from '../common/validation/field-errors.js';
import { ClientCredentialsFields } from './dto/oauth-requests.dto.js';
import type { TokenResponseDto } from './dto/token-response.dto.js';

/**
 * OAuth2 endpoints validate their own bodies: unknown parameters are ignored
 * (RFC 6749 §3.2) and errors take the RFC 6749 §5.2 shape, unlike the rest of
 * the API.
 */
export function parseOAuthBody<T extends object>(type: new () => T, request: FastifyRequest): T {
  const body = request.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new OAuthException('invalid_request', 'The request body must be form-encoded parameters');
  }
  const dto = plainToInstance(type, body);
  const errors = validateSync(dto, { whitelist: true, forbidNonWhitelisted: false });
  if (errors.length > 0) {
    const fields = fieldErrors(errors)
      .map((error) => error.field)
      .join(', ');
    throw new OAuthException('invalid_request', `Missing or malformed parameter: ${fields}`);
  }
  return dto;
}

export type { PresentedClient };

/**
 * The client a request names and how it authenticates (RFC 6749 §2.3.1):
 * HTTP Basic (`client_secret_basic`), `client_id` and `client_secret` in the
 * body (`client_secret_post`), or `client_id` alone (`none`, a public client);
 * never Basic and the body together. `null` when the request names no client.
 */
export function presentedClient(
  request: FastifyRequest,
  body: ClientCredentialsFields,
): PresentedClient | null {
  const basic = basicCredentials(request.headers.authorization);
  const inBody = body.client_id !== undefined || body.client_secret !== undefined;
  if (basic !== null && inBody) {
    throw new OAuthException('invalid_request', 'Use one client authentication method, not both');
  }
  if (basic !== null) return decodeBasic(basic);
  if (!inBody) return null;
  if (!body.client_id) {
    throw new OAuthException('invalid_client', 'client_secret needs a client_id', 401, true);
  }
  if (body.client_secret === undefined) {
    return { clientId: body.client_id, clientSecret: null, method: 'none' };
  }
  return {
    clientId: body.client_id,
    clientSecret: body.client_secret,
    method: 'client_secret_post',
  };
}

/** The base64 part of `Authorization: Basic …`, or `null` for no client authentication. */
function basicCredentials(header: string | undefined): string | null {
  if (!header || !/^basic\s+/i.test(header)) return null;
  const basic = header.replace(/^basic\s+/i, '');
  // An empty id and secret (`Basic Og==`) is what Swagger UI's Authorize sends for a public
  // client by default: no client authentication, not a failed one.
  return Buffer.from(basic, 'base64').toString('utf8') === ':' ? null : basic;
}

/** `id:secret`, each form-encoded (RFC 6749 §2.3.1). */
function decodeBasic(basic: string): PresentedClient {
  const decoded = Buffer.from(basic, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  try {
    if (colon < 0) throw new Error('no colon');
    return {
      clientId: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
      clientSecret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
      method: 'client_secret_basic',
    };
  } catch {
    throw new OAuthException('invalid_client', 'Malformed Basic credentials', 401, true);
  }
}

/** What the token endpoint reads from a request besides the form: where it came from, device tokens. */
export interface TokenRequestContext {
  origin: RequestOrigin;
  deviceTokens: readonly (string | undefined)[];
}

/** A token response, and after a password grant the client's new device token. */
export interface TokenGrant {
  response: TokenResponseDto;
  deviceToken?: string;
}
