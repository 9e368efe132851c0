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

/** The shape of every token response; `AuthService.tokenResponse` issues the access token and builds it. */
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
