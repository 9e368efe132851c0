/** OpenID Connect Core §5.1 claims; each present only when a granted scope allows it. */
export class UserinfoResponseDto {
  /** The user's id. */
  sub: string;
  /** `email` scope. */
  email?: string;
  /** `email` scope. */
  email_verified?: boolean;
  /** `profile` scope: the display name, else the username. */
  name?: string;
  /** `profile` scope. */
  preferred_username?: string;
}
