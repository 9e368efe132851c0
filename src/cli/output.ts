import type { User } from '../users/entities/user.entity.js';

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * A value as the terminal shows it: control characters (an ANSI escape or a
 * carriage return in a client's name) are written as escapes, so stored text
 * cannot rewrite or colour the operator's screen.
 */
export function printable(value: string): string {
  return value.replace(
    CONTROL_CHARACTERS,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

const show = (value: string | boolean | Date | null): string =>
  value instanceof Date ? value.toISOString() : value === null ? '-' : printable(String(value));

/** One record as `key=value` lines: easy to read, and to pick out with `grep` or `cut`. */
export function printRecord(record: Record<string, string | boolean | Date | null>): void {
  const lines = Object.entries(record).map(([key, value]) => `${key}=${show(value)}\n`);
  process.stdout.write(lines.join(''));
}

/** Rows under a header, in aligned columns. */
export function printTable(header: string[], rows: (string | boolean | Date | null)[][]): void {
  const cells = [header, ...rows.map((row) => row.map(show))];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  const lines = cells.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .concat('\n'),
  );
  process.stdout.write(lines.join(''));
}

/** A user as every users:* command prints it. */
export function printUser(user: User): void {
  printRecord({
    id: user.id,
    username: user.username,
    email: user.email,
    emailVerified: user.emailVerifiedAt !== null,
    roles: user.roles.join(','),
    disabled: user.disabled,
  });
}
