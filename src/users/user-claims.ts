import type { User } from './entities/user.entity.js';

/** The profile claims an app may read, by the scopes granted (OpenID Connect Core §5.4). */
export interface UserClaims {
  email?: string;
  email_verified?: boolean;
  name?: string;
  preferred_username?: string;
}

/**
 * `email` gives `email` and `email_verified` (whether the user proved they
 * receive mail there); `profile` gives `name` and `preferred_username`.
 */
export function userClaims(user: User, scope: string): UserClaims {
  const scopes = scope.split(' ');
  return {
    ...(scopes.includes('email')
      ? { email: user.email, email_verified: user.emailVerifiedAt !== null }
      : {}),
    ...(scopes.includes('profile')
      ? { name: user.displayName ?? user.username, preferred_username: user.username }
      : {}),
  };
}
