import type { RefreshSession } from '../../tokens/entities/refresh-session.entity.js';

export class SessionResponseDto {
  /** The session id (the `sid` claim of its access tokens). */
  id: string;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  userAgent: string | null;
  ip: string | null;
  /** True for the session of the token making this request (only on the caller's own list). */
  current?: boolean;
}

/**
 * A session as its current refresh-token row describes it; never the token or
 * its hash. `currentSessionId` marks the caller's own session.
 */
export function toSessionResponse(
  session: RefreshSession,
  currentSessionId?: string | null,
): SessionResponseDto {
  return {
    id: session.familyId,
    createdAt: session.sessionStartedAt,
    lastUsedAt: session.createdAt,
    expiresAt: session.expiresAt,
    userAgent: session.userAgent,
    ip: session.ip,
    ...(currentSessionId !== undefined ? { current: session.familyId === currentSessionId } : {}),
  };
}
