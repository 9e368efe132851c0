export type TokenErrorCode =
  | 'malformed'
  | 'unknown_key'
  | 'forbidden_header'
  | 'wrong_type'
  | 'bad_claims'
  | 'expired'
  | 'revoked';

/** Why a token was refused. Knows nothing of HTTP; the auth layer maps it to a 401. */
export class TokenError extends Error {
  constructor(
    readonly code: TokenErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}
