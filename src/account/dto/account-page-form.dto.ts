import { IsString, MaxLength } from 'class-validator';

/** What an account page's form posts: the browser's CSRF token and the link's token. */
export class AccountPageFormDto {
  @IsString()
  @MaxLength(64)
  csrf_token: string;

  @IsString()
  @MaxLength(128)
  token: string;
}
