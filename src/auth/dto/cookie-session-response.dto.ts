/** A sign-in or refresh in cookie mode: the tokens are in cookies; the body says when they expire. */
export class CookieSessionResponseDto {
  /** Seconds until the access-token cookie expires (then refresh). @example 900 */
  expires_in: number;
  /** Seconds until the session ends at the latest (the refresh-token cookie's lifetime). */
  refresh_expires_in: number;
  /**
   * Send it back in `X-CSRF-Token` on every state-changing request made with
   * the cookies (also readable from the `__Host-csrf-token` cookie).
   */
  csrf_token: string;
}
