import { passwordProblems } from '../users/password-policy.js';
import { parseDurationSeconds } from './duration.js';
import { parseTrustProxy, TrustProxy } from './trust-proxy.js';

export type Environment = Readonly<Record<string, string | undefined>>;
export type JwtAlgorithm = 'RS256' | 'ES256' | 'HS256';
export const JWT_ALGORITHMS: readonly JwtAlgorithm[] = ['RS256', 'ES256', 'HS256'];

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
  /** Browser origins allowed to call the API (CORS); empty means no CORS headers at all. */
  corsOrigins: string[];
}

/** `/metrics` is served only to `token` on the main port, or on its own listener at `host:port`. */
export interface MetricsSettings {
  /** Bearer secret for `/metrics` on the main port; `undefined` means the main port does not serve it. */
  token: string | undefined;
  /** Port of the separate metrics listener; `undefined` means no listener. */
  port: number | undefined;
  host: string;
}

export interface DatabaseSettings {
  /** `undefined` means the embedded PostgreSQL under `dataDir`. */
  url: string | undefined;
  /** Schema to work in; lets several test suites share one database without sharing rows. */
  schema: string | undefined;
  poolSize: number;
}

export interface RedisSettings {
  /** `undefined` means the in-process stores. */
  url: string | undefined;
  keyPrefix: string;
  /**
   * Most entries the in-process blocklist holds (no REDIS_URL). Entries
   * leave only when they expire; when it is full, revocation checks also
   * read the database.
   */
  inProcessMaxEntries: number;
}

export interface AuthSettings {
  algorithm: JwtAlgorithm;
  issuer: string;
  audience: string;
  accessTokenTtl: number;
  refreshTokenTtl: number;
  refreshIdleTtl: number;
  keyEncryptionSecret: string | undefined;
  /** Signing key for HS256 (also encrypted at rest like the asymmetric ones). */
  hmacSecret: string | undefined;
}

export interface AdminSettings {
  email: string | undefined;
  password: string | undefined;
  username: string | undefined;
}

export interface RateLimit {
  limit: number;
  ttlSeconds: number;
}

export const RATE_LIMIT_NAMES = [
  'LOGIN_ACCOUNT',
  'LOGIN_DEVICE',
  'LOGIN_IP',
  'REGISTER_IP',
  'REFRESH_IP',
  'DEFAULT_IP',
] as const;
export type RateLimitName = (typeof RATE_LIMIT_NAMES)[number];

/**
 * Per-IP limits: requests per window. The two sign-in allowances read
 * differently: `limit` failed attempts, then a lock of `ttlSeconds` that
 * doubles with every `limit` further failures (docs/brute-force.md).
 */
const RATE_LIMIT_DEFAULTS: Record<RateLimitName, RateLimit> = {
  LOGIN_ACCOUNT: { limit: 5, ttlSeconds: 60 },
  LOGIN_DEVICE: { limit: 5, ttlSeconds: 60 },
  LOGIN_IP: { limit: 20, ttlSeconds: 60 },
  REGISTER_IP: { limit: 3, ttlSeconds: 3600 },
  REFRESH_IP: { limit: 60, ttlSeconds: 60 },
  DEFAULT_IP: { limit: 600, ttlSeconds: 60 },
};

export interface Config {
  app: AppSettings;
  database: DatabaseSettings;
  redis: RedisSettings;
  auth: AuthSettings;
  admin: AdminSettings;
  rateLimits: Record<RateLimitName, RateLimit>;
  metrics: MetricsSettings;
  /** The longest sign-in lock, however long a guessing streak goes on. */
  loginLockMaxSeconds: number;
  /** Worker processes (one per core); 1 runs in a single process. */
  webConcurrency: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const PLACEHOLDER = /^(change[-_ ]?me|changeme|secret|password|example|your[-_ ].*|x+)$/i;
const MIN_SECRET_BYTES = 32;

/**
 * Reads and validates the environment once, at start-up. Every problem is
 * reported together, with the variable's name, so a bad deployment fails with
 * one clear message instead of a stack trace from deep inside a module.
 */
export function loadConfig(env: Environment): Config {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };

  const nodeEnv = read('NODE_ENV') ?? 'development';
  if (!['development', 'production', 'test'].includes(nodeEnv)) {
    problems.push(`NODE_ENV must be development, production or test (got "${nodeEnv}")`);
  }
  const production = nodeEnv === 'production';

  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  };
  const duration = (name: string, fallback: number, max: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const value = parseDurationSeconds(raw);
    if (value === undefined || value > max) {
      problems.push(`${name} must be a duration such as 900, 15m, 12h or 30d (got "${raw}")`);
      return fallback;
    }
    return value;
  };
  const url = (name: string, protocols: string[]): string | undefined => {
    const raw = read(name);
    if (raw === undefined) return undefined;
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) throw new Error();
      return raw;
    } catch {
      problems.push(`${name} must be a ${protocols.join(' or ')}// URL`);
      return undefined;
    }
  };
  const secret = (name: string): string | undefined => {
    const raw = read(name);
    if (raw === undefined) return undefined;
    if (Buffer.byteLength(raw) < MIN_SECRET_BYTES || PLACEHOLDER.test(raw)) {
      problems.push(`${name} must be at least ${MIN_SECRET_BYTES} bytes of random data`);
      return undefined;
    }
    return raw;
  };

  const algorithm = (read('JWT_ALGORITHM') ?? 'RS256').toUpperCase() as JwtAlgorithm;
  if (!JWT_ALGORITHMS.includes(algorithm)) {
    problems.push(`JWT_ALGORITHM must be one of ${JWT_ALGORITHMS.join(', ')} (got "${algorithm}")`);
  }

  const port = integer('PORT', 3000, 0, 65535);
  const accessTokenTtl = duration('ACCESS_TOKEN_TTL', 15 * 60, 24 * 3600);
  const refreshTokenTtl = duration('REFRESH_TOKEN_TTL', 30 * 86400, 365 * 86400);
  const refreshIdleTtl = duration('REFRESH_IDLE_TTL', 7 * 86400, 365 * 86400);
  if (accessTokenTtl >= refreshTokenTtl) {
    problems.push('ACCESS_TOKEN_TTL must be shorter than REFRESH_TOKEN_TTL');
  }

  const databaseUrl = url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const redisUrl = url('REDIS_URL', ['redis:', 'rediss:']);
  const keyEncryptionSecret = secret('KEY_ENCRYPTION_SECRET');
  const hmacSecret = secret('JWT_SECRET');

  const adminEmail = read('ADMIN_EMAIL')?.toLowerCase();
  const adminPassword = read('ADMIN_PASSWORD');
  if (adminEmail !== undefined && !/^[^\s@]+@[^\s@]+$/.test(adminEmail)) {
    problems.push('ADMIN_EMAIL must be an email address');
  }
  if (adminPassword !== undefined && adminEmail === undefined) {
    problems.push('ADMIN_PASSWORD is set but ADMIN_EMAIL is not');
  }
  if (adminPassword !== undefined) {
    const refused = passwordProblems(adminPassword, {
      email: adminEmail,
      username: read('ADMIN_USERNAME'),
    });
    if (refused.length > 0) problems.push(`ADMIN_PASSWORD is refused: ${refused.join('; ')}`);
  }

  if (production) {
    if (!databaseUrl) problems.push('DATABASE_URL is required in production');
    if (!redisUrl) problems.push('REDIS_URL is required in production');
    if (!keyEncryptionSecret) {
      problems.push(
        `KEY_ENCRYPTION_SECRET (at least ${MIN_SECRET_BYTES} bytes) is required in production`,
      );
    }
    if (algorithm === 'HS256' && !hmacSecret) {
      problems.push(
        `JWT_SECRET (at least ${MIN_SECRET_BYTES} bytes) is required for HS256 in production`,
      );
    }
    if (adminEmail !== undefined && adminPassword === undefined) {
      problems.push('ADMIN_PASSWORD is required with ADMIN_EMAIL in production');
    }
  }

  const rateLimits = { ...RATE_LIMIT_DEFAULTS };
  for (const name of RATE_LIMIT_NAMES) {
    const raw = read(`THROTTLE_${name}`);
    if (raw === undefined) continue;
    const match = /^(\d{1,9})\s*\/\s*(\d{1,9})$/.exec(raw);
    if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) {
      problems.push(`THROTTLE_${name} must be <limit>/<seconds>, such as 5/60 (got "${raw}")`);
      continue;
    }
    rateLimits[name] = { limit: Number(match[1]), ttlSeconds: Number(match[2]) };
  }

  const loginLockMaxSeconds = duration('THROTTLE_LOGIN_LOCK_MAX', 86400, 30 * 86400);

  const webConcurrency = integer('WEB_CONCURRENCY', 1, 1, 64);
  if (webConcurrency > 1 && (!databaseUrl || !redisUrl)) {
    problems.push(
      'WEB_CONCURRENCY above 1 needs DATABASE_URL and REDIS_URL: the embedded database and in-process stores belong to one process',
    );
  }

  const issuer = jwtIssuer(read('JWT_ISSUER'), production, port, problems);
  const schema = read('DATABASE_SCHEMA');
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    problems.push('DATABASE_SCHEMA must be a lower-case SQL identifier');
  }
  const corsOrigins = (read('CORS_ORIGINS') ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of corsOrigins) {
    let valid = false;
    try {
      const parsed = new URL(origin);
      valid = ['http:', 'https:'].includes(parsed.protocol) && parsed.origin === origin;
    } catch {
      valid = false;
    }
    if (!valid)
      problems.push(
        `CORS_ORIGINS must list origins such as https://app.example.com (got "${origin}")`,
      );
  }
  // Metrics are off unless asked for: a bearer secret for the main port, or a listener of their own.
  const metricsToken = secret('METRICS_TOKEN');
  if (metricsToken !== undefined && !/^[\x21-\x7e]+$/.test(metricsToken)) {
    // Scrapers send it as `Authorization: Bearer <token>`: one header token, no spaces.
    problems.push('METRICS_TOKEN must be printable ASCII without spaces');
  }
  const metricsPort =
    read('METRICS_PORT') === undefined
      ? undefined
      : integer('METRICS_PORT', 0, 1, 65535) || undefined;
  if (metricsPort !== undefined && metricsPort === port) {
    problems.push('METRICS_PORT must differ from PORT');
  }
  if (read('METRICS_HOST') !== undefined && read('METRICS_PORT') === undefined) {
    problems.push('METRICS_HOST is set but METRICS_PORT is not');
  }
  const logFormat = read('LOG_FORMAT') ?? (production ? 'json' : 'text');
  if (logFormat !== 'json' && logFormat !== 'text') {
    problems.push(`LOG_FORMAT must be json or text (got "${logFormat}")`);
  }

  const config: Config = {
    app: {
      nodeEnv: nodeEnv as AppSettings['nodeEnv'],
      production,
      port,
      host: read('HOST') ?? '0.0.0.0',
      dataDir: read('DATA_DIR') ?? './data',
      trustProxy: parseTrustProxy(read('TRUST_PROXY'), problems),
      bodyLimitBytes: integer('BODY_LIMIT_BYTES', 64 * 1024, 1024, 10 * 1024 * 1024),
      logFormat: logFormat as AppSettings['logFormat'],
      corsOrigins,
    },
    database: {
      url: databaseUrl,
      schema,
      poolSize: integer('DATABASE_POOL_SIZE', 10, 1, 200),
    },
    redis: {
      url: redisUrl,
      keyPrefix: read('REDIS_KEY_PREFIX') ?? 'auth:',
      inProcessMaxEntries: integer('BLOCKLIST_MAX_ENTRIES', 100_000, 1, 100_000_000),
    },
    auth: {
      algorithm,
      issuer,
      audience: read('JWT_AUDIENCE') ?? issuer,
      accessTokenTtl,
      refreshTokenTtl,
      refreshIdleTtl,
      keyEncryptionSecret,
      hmacSecret,
    },
    admin: {
      email: adminEmail,
      password: adminPassword,
      username: read('ADMIN_USERNAME')?.toLowerCase(),
    },
    rateLimits,
    metrics: {
      token: metricsToken,
      port: metricsPort,
      host: read('METRICS_HOST') ?? '127.0.0.1',
    },
    loginLockMaxSeconds,
    webConcurrency,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * The `iss` of every token and the public base URL in the discovery
 * document. Other services compare it byte for byte, so in production it
 * must be given, and be the https:// URL they reach this server at; the
 * localhost default is for development only.
 */
function jwtIssuer(
  raw: string | undefined,
  production: boolean,
  port: number,
  problems: string[],
): string {
  const fallback = `http://localhost:${port}`;
  if (raw === undefined) {
    if (production) {
      problems.push(
        'JWT_ISSUER is required in production: the https:// URL other services reach this server at',
      );
    }
    return fallback;
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(raw);
  } catch {
    parsed = undefined;
  }
  const protocols = production ? ['https:'] : ['https:', 'http:'];
  if (!parsed || !protocols.includes(parsed.protocol) || parsed.search || parsed.hash) {
    problems.push(
      `JWT_ISSUER must be an ${production ? 'https://' : 'http:// or https://'} URL without query or fragment (got "${raw}")`,
    );
    return fallback;
  }
  return raw;
}
