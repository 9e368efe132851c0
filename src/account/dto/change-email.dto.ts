import { IsString, MaxLength, MinLength } from 'class-validator';
import { IsNormalizedEmail } from '../../common/validation/fields.js';

export class ChangeEmailDto {
  /** The new address; it takes effect once confirmed from a link mailed to it. @example ada@example.org */
  @IsNormalizedEmail()
  email: string;

  /** The current password: it counts against the account's sign-in allowance. */
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  password: string;
}
