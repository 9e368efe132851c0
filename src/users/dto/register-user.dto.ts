import { IsNormalizedEmail, IsPassword, IsUsername } from '../../common/validation/fields.js';

export class RegisterUserDto {
  /** @example ada@example.com */
  @IsNormalizedEmail()
  email: string;

  /** 3–32 characters: a–z, 0–9, ".", "_", "-". @example ada */
  @IsUsername()
  username: string;

  /** 10–128 characters; not a common password, not the username or email. @example correct-horse-battery */
  @IsPassword()
  password: string;
}
