import { SetMetadata } from '@nestjs/common';

export const ALLOW_CLIENT_TOKENS_KEY = 'auth:allowClientTokens';

/**
 * Lets a client-credentials (service) token through the JWT guard. Without
 * it, routes accept user tokens only: a service token has no user, profile or session.
 */
export const AllowClientTokens = () => SetMetadata(ALLOW_CLIENT_TOKENS_KEY, true);
