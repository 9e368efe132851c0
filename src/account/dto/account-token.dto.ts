import { IsString, MaxLength } from 'class-validator';

export class AccountTokenDto {
  /** The token from the link in the mail (the `token` query parameter). */
  @IsString()
  @MaxLength(128)
  token: string;
}
