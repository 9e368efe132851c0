import { IsString, Length, MaxLength } from 'class-validator';
import { IsNormalizedEmail, IsPassword } from '../../common/validation/fields.js';

export class ForgotPasswordDto {
  /** The account's address; the answer is the same whether or not one has it. @example ada@example.com */
  @IsNormalizedEmail()
  email: string;
}

export class ResetPasswordDto {
  /** The `token` of the reset link's query. */
  @IsString()
  @Length(1, 128)
  token: string;

  /** 10–128 characters; not a common password, not the username or email. @example correct-horse-battery */
  @IsPassword()
  password: string;
}

/** The one answer to a reset request, whatever the address. */
export class ResetRequestedDto {
  /** @example If an account uses this address, a link to reset its password is on its way. */
  message: string;
}

export const RESET_REQUESTED: ResetRequestedDto = {
  message: 'If an account uses this address, a link to reset its password is on its way.',
};

/** The hosted forgot-password form. */
export class ForgotPasswordFormDto extends ForgotPasswordDto {
  @IsString()
  @MaxLength(64)
  csrf_token: string;
}

/** The hosted reset-password form. */
export class ResetPasswordFormDto extends ResetPasswordDto {
  @IsString()
  @MaxLength(64)
  csrf_token: string;
}
