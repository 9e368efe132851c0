/** RFC 6749 §5.1 token response. */
export class TokenResponseDto {
  access_token: string;
  /** @example Bearer */
  token_type: 'Bearer';
  /** Seconds until the access token expires. @example 900 */
  expires_in: number;
  /** Opaque; present for user sign-ins, absent for client credentials. */
  refresh_token?: string;
  /** OpenID Connect ID token (authorization_code grant). */
  id_token?: string;
  /** The scopes granted to the app (authorization_code and its refresh). */
  scope?: string;
}

/** The shape of every token response; `AuthService.tokenResponse` issues the access token and builds it. */
export function toTokenResponse(
  access: { token: string; expiresIn: number },
  refreshToken?: string,
  app?: { scope?: string; idToken?: string },
): TokenResponseDto {
  return {
    access_token: access.token,
    token_type: 'Bearer',
    expires_in: access.expiresIn,
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
    ...(app?.idToken ? { id_token: app.idToken } : {}),
    ...(app?.scope ? { scope: app.scope } : {}),
  };
}
