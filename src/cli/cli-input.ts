import type { Type } from '@nestjs/common';
import { Question, QuestionSet } from 'nest-commander';
import { createValidationPipe } from '../common/validation/validation.pipe.js';
import { CliError } from './cli-context.js';

/**
 * Checks a command's input with the DTO and the validation pipe of the HTTP
 * endpoint that does the same thing: the same rules and the same messages.
 */
export async function validated<T>(type: Type<T>, input: object): Promise<T> {
  return (await createValidationPipe().transform(input, { type: 'body', metatype: type })) as T;
}

/** A comma-separated list as the CLI takes roles: `admin,user`. */
export const commaList = (value: string): string[] => value.split(',').map((item) => item.trim());

/** More than any password the policy accepts; stops a mistaken pipe of a large file early. */
const MAX_STDIN_CHARS = 4_096;

/**
 * The password piped to standard input (`--password-stdin`): one line, the
 * line break a pipe adds removed. A password is never taken from the command
 * line, where other users of the machine can read it (`ps`).
 */
export async function readPasswordFromStdin(stdin = process.stdin): Promise<string> {
  if (stdin.isTTY) {
    throw new CliError(
      '--password-stdin reads the password from a pipe or a file; leave it out to be asked for it',
    );
  }
  let text = '';
  for await (const chunk of stdin.setEncoding('utf8')) {
    text += chunk as string;
    if (text.length > MAX_STDIN_CHARS)
      throw new CliError('standard input is too long for a password');
  }
  const password = text.replace(/\r?\n$/, '');
  if (password === '') throw new CliError('no password on standard input');
  if (/[\r\n]/.test(password))
    throw new CliError('the password on standard input must be one line');
  return password;
}

export const NEW_PASSWORD_QUESTIONS = 'new-password';

/** The prompt for a new account's password in a terminal: typed twice, never echoed. */
@QuestionSet({ name: NEW_PASSWORD_QUESTIONS })
export class NewPasswordQuestions {
  @Question({ type: 'password', name: 'password', message: 'Password:', mask: '*' })
  parsePassword(value: string): string {
    return value;
  }

  @Question({ type: 'password', name: 'repeated', message: 'Repeat the password:', mask: '*' })
  parseRepeated(value: string): string {
    return value;
  }
}
