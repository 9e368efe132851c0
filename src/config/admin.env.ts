import { passwordProblems } from '../common/validation/password-policy.js';
import { envRule } from './env.js';

export interface AdminSettings {
  email: string | undefined;
  password: string | undefined;
  username: string | undefined;
}

const IsEmailAddress = () =>
  envRule(
    'email',
    (raw) => /^[^\s@]+@[^\s@]+$/.test(raw),
    (variable) => `${variable} must be an email address`,
  );

/** What the password policy says about ADMIN_PASSWORD, given the account's email and username. */
function refusedPassword(password: string, env: object): string[] {
  const { ADMIN_EMAIL, ADMIN_USERNAME } = env as AdminEnv;
  return passwordProblems(password, {
    email: ADMIN_EMAIL?.toLowerCase(),
    username: ADMIN_USERNAME,
  });
}

/** The same rules as a password chosen through the API. */
const IsAllowedPassword = () =>
  envRule(
    'password',
    (raw, { object }) => refusedPassword(raw, object).length === 0,
    (variable, raw, { object }) =>
      `${variable} is refused: ${refusedPassword(raw, object).join('; ')}`,
  );

/** The first admin account, created at start when missing. */
export class AdminEnv {
  @IsEmailAddress()
  ADMIN_EMAIL?: string;

  @IsAllowedPassword()
  ADMIN_PASSWORD?: string;

  /** Derived from the email when unset. */
  ADMIN_USERNAME?: string;
}

export function adminSettings(env: AdminEnv): AdminSettings {
  return {
    email: env.ADMIN_EMAIL?.toLowerCase(),
    password: env.ADMIN_PASSWORD,
    username: env.ADMIN_USERNAME?.toLowerCase(),
  };
}
