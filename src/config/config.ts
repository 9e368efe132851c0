import { AccountEnv, AccountSettings, accountSettings } from './account.env.js';
import { AdminEnv, AdminSettings, adminSettings } from './admin.env.js';
import { AppEnv, AppSettings, appSettings } from './app.env.js';
import { AuditEnv, AuditSettings, auditSettings } from './audit.env.js';
import { AuthEnv, AuthSettings, authSettings } from './auth.env.js';
import { DatabaseEnv, DatabaseSettings, databaseSettings } from './database.env.js';
import { cleaned, Environment, MIN_SECRET_BYTES, readSection, wholeNumber } from './env.js';
import { MailEnv, MailSettings, mailSettings } from './mail.env.js';
import { MetricsEnv, MetricsSettings, metricsSettings } from './metrics.env.js';
import {
  loginLockMaxSeconds,
  RateLimit,
  RateLimitEnv,
  RateLimitName,
  rateLimitSettings,
} from './rate-limit.env.js';
import { RedisEnv, RedisSettings, redisSettings } from './redis.env.js';
import {
  SecurityWebhookEnv,
  SecurityWebhookSettings,
  securityWebhookSettings,
} from './security-webhook.env.js';
import { ServerEnv, ServerSettings, serverSettings } from './server.env.js';

export type { Environment } from './env.js';
export type { AccountSettings } from './account.env.js';
export type { AdminSettings } from './admin.env.js';
export { LOG_LEVELS, type AppSettings, type LogLevel } from './app.env.js';
export type { AuditSettings } from './audit.env.js';
export { JWT_ALGORITHMS, type AuthSettings, type JwtAlgorithm } from './auth.env.js';
export type { DatabaseSettings } from './database.env.js';
export type { MailSettings } from './mail.env.js';
export type { MetricsSettings } from './metrics.env.js';
export { RATE_LIMIT_NAMES, type RateLimit, type RateLimitName } from './rate-limit.env.js';
export type { RedisSettings } from './redis.env.js';
export type { SecurityWebhookSettings } from './security-webhook.env.js';
export type { ServerSettings } from './server.env.js';

/** The whole configuration, read once at start (`main.ts`, `cli.ts`) and passed in. */
export interface Config {
  app: AppSettings;
  /** HTTP timeouts, the connection cap and the shutdown bound. */
  server: ServerSettings;
  database: DatabaseSettings;
  redis: RedisSettings;
  auth: AuthSettings;
  admin: AdminSettings;
  /** Account e-mail: whether sign-in waits for a verified address. */
  account: AccountSettings;
  rateLimits: Record<RateLimitName, RateLimit>;
  metrics: MetricsSettings;
  securityWebhook: SecurityWebhookSettings;
  audit: AuditSettings;
  mail: MailSettings;
  /** The longest sign-in lock, however long a guessing streak goes on. */
  loginLockMaxSeconds: number;
  /** Worker processes (one per core); 1 runs in a single process. */
  webConcurrency: number;
  /**
   * Whether this process does the server's work besides answering requests:
   * creating the first admin, the hourly housekeeping, reloading signing keys
   * every few seconds. Always on for the server; the CLI, which boots the same
   * services for one command and exits, turns it off.
   */
  backgroundJobs: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates the environment, once, at start-up. Each section is a
 * class whose properties are the variables it reads, each with its rule
 * (class-validator, which already checks every request body: one way to
 * declare a rule, and no second validation library for a dozen sections);
 * then come the rules that span sections. Every problem is reported
 * together, naming the variable, so a bad deployment fails with one clear
 * message instead of a stack trace from deep inside a module.
 */
export function loadConfig(rawEnv: Environment): Config {
  const env = cleaned(rawEnv);
  const problems: string[] = [];
  const appEnv = readSection(AppEnv, env, problems);
  const app = appSettings(appEnv);
  const rateLimits = readSection(RateLimitEnv, env, problems);
  const auth = authSettings(readSection(AuthEnv, env, problems), `http://localhost:${app.port}`);
  const config: Config = {
    app,
    server: serverSettings(readSection(ServerEnv, env, problems)),
    database: databaseSettings(readSection(DatabaseEnv, env, problems)),
    redis: redisSettings(readSection(RedisEnv, env, problems)),
    auth,
    admin: adminSettings(readSection(AdminEnv, env, problems)),
    account: accountSettings(readSection(AccountEnv, env, problems)),
    rateLimits: rateLimitSettings(rateLimits),
    metrics: metricsSettings(readSection(MetricsEnv, env, problems)),
    securityWebhook: securityWebhookSettings(readSection(SecurityWebhookEnv, env, problems)),
    audit: auditSettings(readSection(AuditEnv, env, problems)),
    mail: mailSettings(readSection(MailEnv, env, problems), auth.issuer),
    loginLockMaxSeconds: loginLockMaxSeconds(rateLimits),
    webConcurrency: wholeNumber(appEnv.WEB_CONCURRENCY, 1),
    backgroundJobs: true,
  };
  problems.push(...crossSectionProblems(config, env));
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** Rules between variables: each names the variables it relates. */
function crossSectionProblems(config: Config, env: Environment): string[] {
  const { app, auth, metrics } = config;
  const problems = app.production ? productionProblems(config, env) : [];
  if (auth.accessTokenTtl >= auth.refreshTokenTtl) {
    problems.push('ACCESS_TOKEN_TTL must be shorter than REFRESH_TOKEN_TTL');
  }
  if (env.ADMIN_PASSWORD !== undefined && env.ADMIN_EMAIL === undefined) {
    problems.push('ADMIN_PASSWORD is set but ADMIN_EMAIL is not');
  }
  if (config.webConcurrency > 1 && (!config.database.url || !config.redis.url)) {
    problems.push(
      'WEB_CONCURRENCY above 1 needs DATABASE_URL and REDIS_URL: the embedded database and in-process stores belong to one process',
    );
  }
  if (config.server.headersTimeoutMs > config.server.requestTimeoutMs) {
    problems.push('HTTP_HEADERS_TIMEOUT must not be longer than HTTP_REQUEST_TIMEOUT');
  }
  if (metrics.port !== undefined && metrics.port === app.port) {
    problems.push('METRICS_PORT must differ from PORT');
  }
  if (env.METRICS_HOST !== undefined && env.METRICS_PORT === undefined) {
    problems.push('METRICS_HOST is set but METRICS_PORT is not');
  }
  problems.push(...webhookProblems(env));
  return problems;
}

/** A webhook is signed: URL and secret come together. */
function webhookProblems(env: Environment): string[] {
  const url = env.SECURITY_WEBHOOK_URL !== undefined;
  const secret = env.SECURITY_WEBHOOK_SECRET !== undefined;
  if (url && !secret) return ['SECURITY_WEBHOOK_SECRET is required with SECURITY_WEBHOOK_URL'];
  if (secret && !url) return ['SECURITY_WEBHOOK_SECRET is set but SECURITY_WEBHOOK_URL is not'];
  if (env.SECURITY_WEBHOOK_EVENTS !== undefined && !url) {
    return ['SECURITY_WEBHOOK_EVENTS is set but SECURITY_WEBHOOK_URL is not'];
  }
  return [];
}

/** Production never falls back to the embedded stores, generated secrets or a localhost issuer. */
function productionProblems(config: Config, env: Environment): string[] {
  const { database, redis, auth } = config;
  const problems: string[] = [];
  if (!database.url) problems.push('DATABASE_URL is required in production');
  if (!redis.url) problems.push('REDIS_URL is required in production');
  if (!auth.keyEncryptionSecret) {
    problems.push(
      `KEY_ENCRYPTION_SECRET (at least ${MIN_SECRET_BYTES} bytes) is required in production`,
    );
  }
  if (auth.algorithm === 'HS256' && !auth.hmacSecret) {
    problems.push(
      `JWT_SECRET (at least ${MIN_SECRET_BYTES} bytes) is required for HS256 in production`,
    );
  }
  if (env.ADMIN_EMAIL !== undefined && env.ADMIN_PASSWORD === undefined) {
    problems.push('ADMIN_PASSWORD is required with ADMIN_EMAIL in production');
  }
  if (!config.mail.smtpUrl) {
    problems.push(
      'SMTP_URL is required in production: the server sends e-mail (address verification, password reset), e.g. smtp://user:pass@smtp.example.com:587',
    );
  }
  if (env.JWT_ISSUER === undefined) {
    problems.push(
      'JWT_ISSUER is required in production: the https:// URL other services reach this server at',
    );
  }
  return problems;
}
