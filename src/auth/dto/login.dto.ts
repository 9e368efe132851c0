import { IsString, Length } from 'class-validator';

export class LoginDto {
  /** Username or email. @example ada */
  @IsString()
  @Length(1, 254)
  username: string;

  /** @example correct-horse-battery */
  @IsString()
  @Length(1, 128)
  password: string;
}
