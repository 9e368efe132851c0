export class RotatedKeyResponseDto {
  /** The new active key's id, as in the JWKS and in new tokens' headers. */
  kid: string;
}
