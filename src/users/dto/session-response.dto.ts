import type { RefreshSession } from '../../tokens/entities/refresh-session.entity.js';

export class SessionResponseDto {
  /** The session id (the `sid` claim of its access tokens). */
  id: string;
  /** When the session began: the sign-in. */
  createdAt: Date;
  /** The last refresh (or the sign-in). */
  lastUsedAt: Date;
  expiresAt: Date;
  userAgent: string | null;
  ip: string | null;
  /** The app the session was issued to (authorization-code grant); `null` for a direct sign-in. */
  clientId: string | null;
  /** That app's `client_name` (on the caller's own list). */
  clientName?: string | null;
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
  clientName?: string | null,
): SessionResponseDto {
  return {
    id: session.sessionId,
    clientId: session.clientId,
    ...(clientName !== undefined ? { clientName } : {}),
    createdAt: session.sessionStartedAt,
    lastUsedAt: session.lastUsedAt,
    expiresAt: session.expiresAt,
    userAgent: session.userAgent,
    ip: session.ip,
    ...(currentSessionId !== undefined ? { current: session.sessionId === currentSessionId } : {}),
  };
}
