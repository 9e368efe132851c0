import { Logger as NestLogger, PinoLogger } from 'nestjs-pino';
import { type DestinationStream, type Logger, pino } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { currentRequestContext } from '../common/request-context.js';
import type { AppSettings } from '../config/config.js';

/** The app's pino logger: request lines, security events, and everything Nest logs. */
export type AppLogger = Logger;

/**
 * Replaced by `[redacted]` wherever they appear. The log lines this server
 * writes never carry credentials in the first place (the request line and the
 * security events list their fields one by one); this is the second line of
 * defence, for an object that reaches a log call whole.
 */
export const REDACTED_PATHS = [
  'authorization',
  'cookie',
  'password',
  'currentPassword',
  'newPassword',
  'passwordHash',
  'secret',
  'secretHash',
  'token',
  'access_token',
  'refresh_token',
  'client_secret',
  'deviceToken',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  '*.authorization',
  '*.cookie',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.passwordHash',
  '*.secret',
  '*.secretHash',
  '*.token',
  '*.access_token',
  '*.refresh_token',
  '*.client_secret',
  '*.deviceToken',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["set-cookie"]',
  // A failed query's bound values (a password hash, a token hash) travel on TypeORM's error.
  'err.parameters',
  'err.driverError.parameters',
];

export interface AppLoggerOptions {
  /** Where lines go instead of stdout (tests read them from here). */
  destination?: DestinationStream;
  /** Writes nothing at all (tests that do not look at the log). */
  silent?: boolean;
}

/**
 * One pino logger per app: JSON lines (`LOG_FORMAT=json`, production) or
 * pino-pretty's text (development), at `LOG_LEVEL`. Each line made while a
 * request is handled carries its id (`reqId`), read by `mixin` from the
 * request context only when a line is written: no per-request child logger.
 */
export function createAppLogger(
  settings: Pick<AppSettings, 'logFormat' | 'logLevel'>,
  options: AppLoggerOptions = {},
): AppLogger {
  const output = options.destination ?? pino.destination({ dest: 1, sync: true });
  return pino(
    {
      level: options.silent ? 'silent' : settings.logLevel,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      mixin: requestIdOfCurrentRequest,
    },
    settings.logFormat === 'json'
      ? output
      : prettyOutput(output, !options.destination && process.stdout.isTTY),
  );
}

// A new object each time: pino merges the line's own fields into it.
function requestIdOfCurrentRequest(): object {
  const context = currentRequestContext();
  return context ? { reqId: context.requestId } : {};
}

/**
 * pino-pretty's text, with every control character in the message shown as
 * an escape (`\n`, `\u001b`): pino-pretty prints the message as it is, so a
 * CR/LF or an ANSI escape in it could start a fake line or colour the
 * output. Other fields it prints JSON-encoded, which escapes them already;
 * an error's stack keeps the line breaks between its frames only.
 */
function prettyOutput(output: DestinationStream, colorize: boolean): DestinationStream {
  const prettify = prettyFactory({
    colorize,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    // The fields as JSON on the message's own line: one record, one line.
    singleLine: true,
  });
  return {
    write(line: string) {
      const record = JSON.parse(line) as Record<string, unknown> & { err?: SerializedError };
      if (typeof record.msg === 'string') record.msg = escapeControls(record.msg, CONTROL);
      if (record.err) record.err.stack = escapeStack(record.err);
      output.write(prettify(record));
    },
  };
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
// eslint-disable-next-line no-control-regex
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/g;

interface SerializedError {
  type?: string;
  message?: string;
  stack?: string;
}

/** The stack keeps its line breaks, but its first line (the message) is escaped as a whole. */
function escapeStack({ type, message, stack }: SerializedError): string | undefined {
  if (typeof stack !== 'string') return stack;
  const head = `${type}: ${message}`;
  const [first, rest] = stack.startsWith(head) ? [head, stack.slice(head.length)] : ['', stack];
  return escapeControls(first, CONTROL) + escapeControls(rest, CONTROL_BUT_NEWLINE);
}

function escapeControls(text: string, pattern: RegExp): string {
  return text.replace(pattern, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * nestjs-pino's PinoLogger, writing to this app's logger. Out of a request
 * nestjs-pino logs through one root logger per process (the first app's);
 * two apps in one process, as the e2e specs run them, each keep their own.
 */
class AppPinoLogger extends PinoLogger {
  constructor(private readonly appLogger: AppLogger) {
    super({ pinoHttp: { logger: appLogger } });
  }

  override get logger(): AppLogger {
    return this.appLogger;
  }
}

/** What Nest itself logs through (`app.useLogger`): nestjs-pino's LoggerService over `logger`. */
export function nestLoggerFor(logger: AppLogger): NestLogger {
  return new NestLogger(new AppPinoLogger(logger), {});
}
