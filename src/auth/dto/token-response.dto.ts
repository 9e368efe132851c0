/** RFC 6749 §5.1 token response. */
export class TokenResponseDto {
  access_token: string;
  /** @example Bearer */
  token_type: 'Bearer';
  /** Seconds until the access token expires. @example 900 */
  expires_in: number;
  /** Opaque; present for user sign-ins, absent for client credentials. */
  refresh_token?: string;
}

/** Every token response is built here: REST login and refresh, and each OAuth2 grant. */
export function toTokenResponse(
  access: { token: string; expiresIn: number },
  refreshToken?: string,
): TokenResponseDto {
  return {
    access_token: access.token,
    token_type: 'Bearer',
    expires_in: access.expiresIn,
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
  };
}
