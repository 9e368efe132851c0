import type { LoggerService } from '@nestjs/common';

/**
 * The CLI's log: errors only, one line each, without stack traces, on
 * stderr (stdout is the command's output). The error that stops a command is
 * reported once by the CLI itself, so Nest's report of it is left out.
 */
export class CliLogger implements LoggerService {
  log(): void {}
  warn(): void {}
  debug(): void {}
  verbose(): void {}

  error(message: unknown, ...rest: unknown[]): void {
    this.print(message, rest);
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.print(message, rest);
  }

  private print(message: unknown, rest: unknown[]): void {
    const context = rest.at(-1);
    if (context === 'ExceptionHandler') return;
    const text = message instanceof Error ? message.message : String(message);
    process.stderr.write(`${typeof context === 'string' ? `[${context}] ` : ''}${text}\n`);
  }
}
