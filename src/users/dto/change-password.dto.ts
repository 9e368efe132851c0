import { IsString, MaxLength, MinLength } from 'class-validator';
import { IsPassword } from '../../common/validation/fields.js';

export class ChangePasswordDto {
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  currentPassword: string;

  /** 10–128 characters; not a common password, not the username or email. */
  @IsPassword()
  newPassword: string;
}
