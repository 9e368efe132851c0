import { IsString, Length } from 'class-validator';
import { IsOmittable } from '../../common/validation/fields.js';

export class RefreshTokenDto {
  /** The refresh token from the last login or refresh (required, except in cookie mode). */
  @IsOmittable()
  @IsString()
  @Length(1, 4096)
  refresh_token?: string;
}

export class LogoutDto {
  /** Optional: also revoke the session this refresh token belongs to (if it is the caller's). */
  @IsOmittable()
  @IsString()
  @Length(1, 4096)
  refresh_token?: string;
}
