import { SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

export type RateLimitCategory = 'login' | 'register' | 'refresh' | 'mail' | 'default';
export type CategoryResolver = (request: FastifyRequest) => RateLimitCategory;

export const RATE_LIMIT_CATEGORY_KEY = 'rateLimit:category';

/**
 * Puts a route under a per-IP limit other than the default one. A function
 * decides per request (the OAuth2 token endpoint limits by grant type).
 */
export const RateLimit = (category: RateLimitCategory | CategoryResolver) =>
  SetMetadata(RATE_LIMIT_CATEGORY_KEY, category);
