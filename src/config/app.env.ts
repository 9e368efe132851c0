import { parseTrustProxy, TrustProxy } from './trust-proxy.js';
import { envRule, IsOneOf, IsWholeNumber, wholeNumber } from './env.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface AppSettings {
  nodeEnv: 'development' | 'production' | 'test';
  production: boolean;
  port: number;
  host: string;
  dataDir: string;
  /** Which peers may set the client IP through `X-Forwarded-For` (see `trust-proxy.ts`). */
  trustProxy: TrustProxy;
  bodyLimitBytes: number;
  logFormat: 'json' | 'text';
  /** The least severe log level written (`silent` writes nothing). */
  logLevel: LogLevel;
  /** Browser origins allowed to call the API (CORS); empty means no CORS headers at all. */
  corsOrigins: string[];
}

const isOrigin = (origin: string) =>
  URL.canParse(origin) &&
  ['http:', 'https:'].includes(new URL(origin).protocol) &&
  new URL(origin).origin === origin;

const originList = (raw: string | undefined) =>
  (raw ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);

const IsOriginList = () =>
  envRule(
    'origins',
    (raw) => originList(raw).every(isOrigin),
    (variable, raw) =>
      `${variable} must list origins such as https://app.example.com (got "${originList(raw)
        .filter((origin) => !isOrigin(origin))
        .join('", "')}")`,
  );

/** What is wrong with a TRUST_PROXY value, if anything (the messages live in trust-proxy.ts). */
function trustProxyProblem(raw: string): string | undefined {
  const problems: string[] = [];
  parseTrustProxy(raw, problems);
  return problems[0];
}

const IsTrustProxy = () =>
  envRule(
    'trustProxy',
    (raw) => trustProxyProblem(raw) === undefined,
    (_, raw) => trustProxyProblem(raw)!,
  );

/** The process: mode, listener, request handling, logs. */
export class AppEnv {
  @IsOneOf(['development', 'production', 'test'])
  NODE_ENV?: string;

  @IsWholeNumber(0, 65535)
  PORT?: string;

  HOST?: string;

  /** Embedded database files and the generated development key-encryption secret. */
  DATA_DIR?: string;

  @IsTrustProxy()
  TRUST_PROXY?: string;

  @IsWholeNumber(1024, 10 * 1024 * 1024)
  BODY_LIMIT_BYTES?: string;

  @IsOneOf(['json', 'text'])
  LOG_FORMAT?: string;

  @IsOneOf(LOG_LEVELS)
  LOG_LEVEL?: string;

  @IsOriginList()
  CORS_ORIGINS?: string;

  /** Worker processes (one per core); 1 runs in a single process. */
  @IsWholeNumber(1, 64)
  WEB_CONCURRENCY?: string;
}

export function appSettings(env: AppEnv): AppSettings {
  const nodeEnv = (env.NODE_ENV ?? 'development') as AppSettings['nodeEnv'];
  const production = nodeEnv === 'production';
  return {
    nodeEnv,
    production,
    port: wholeNumber(env.PORT, 3000),
    host: env.HOST ?? '0.0.0.0',
    dataDir: env.DATA_DIR ?? './data',
    trustProxy: parseTrustProxy(env.TRUST_PROXY, []),
    bodyLimitBytes: wholeNumber(env.BODY_LIMIT_BYTES, 64 * 1024),
    logFormat: (env.LOG_FORMAT ?? (production ? 'json' : 'text')) as AppSettings['logFormat'],
    logLevel: (env.LOG_LEVEL ?? 'info') as LogLevel,
    corsOrigins: originList(env.CORS_ORIGINS),
  };
}
