import { IsIn, IsString, MaxLength } from 'class-validator';

/** The fields every hosted form posts. */
class HostedFormDto {
  /** The form's CSRF token (bound to the browser). */
  @IsString()
  @MaxLength(64)
  csrf_token: string;

  /** The pending authorization request, as the page received it (sealed by this server). */
  @IsString()
  @MaxLength(8000)
  auth_request: string;
}

/** The sign-in page's form. */
export class SignInFormDto extends HostedFormDto {
  /** Username or email. */
  @IsString()
  @MaxLength(254)
  username: string;

  @IsString()
  @MaxLength(128)
  password: string;
}

/** The consent page's form. */
export class ConsentFormDto extends HostedFormDto {
  @IsIn(['allow', 'deny'])
  decision: 'allow' | 'deny';
}
