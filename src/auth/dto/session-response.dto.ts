export class SessionResponseDto {
  /** The session id (the `sid` claim of its access tokens). */
  id: string;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  userAgent: string | null;
  ip: string | null;
  /** True for the session of the token making this request. */
  current: boolean;
}
