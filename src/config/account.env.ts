import { IsOneOf } from './env.js';

/** What the account's e-mail address must have proved before it signs in. */
export interface AccountSettings {
  /** Password sign-in is refused until the address is verified. */
  requireEmailVerification: boolean;
}

export class AccountEnv {
  /** `true` refuses password sign-in until the user has followed their verification link. */
  @IsOneOf(['true', 'false'])
  REQUIRE_EMAIL_VERIFICATION?: string;
}

export function accountSettings(env: AccountEnv): AccountSettings {
  return { requireEmailVerification: env.REQUIRE_EMAIL_VERIFICATION === 'true' };
}
