export class AdminSessionResponseDto {
  /** The session id (the `sid` claim of its access tokens). */
  id: string;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  userAgent: string | null;
  ip: string | null;
}
