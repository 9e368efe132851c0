import { dictionary } from '@zxcvbn-ts/language-common';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './fields.js';

/**
 * The most common passwords from leaked-password corpora, as shipped and
 * maintained by zxcvbn-ts (about 49 000 entries). Compared case-insensitively.
 */
const COMMON_PASSWORDS: ReadonlySet<string> = new Set(
  dictionary['passwords-common'].map((password) => password.toLowerCase()),
);

export interface PasswordContext {
  username?: string | null;
  email?: string | null;
}

/** Returns why the password is refused; an empty list means it is acceptable. */
export function passwordProblems(password: string, context: PasswordContext): string[] {
  const problems: string[] = [];
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    problems.push(`password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`);
  }
  const lower = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lower)) problems.push('password is too common');
  const email = context.email?.toLowerCase();
  if (
    (context.username && lower === context.username.toLowerCase()) ||
    (email && (lower === email || lower === email.split('@')[0]))
  ) {
    problems.push('password must not be the username or email');
  }
  return problems;
}
