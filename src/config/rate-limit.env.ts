import { durationSeconds, envRule, IsDuration } from './env.js';

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
  'MAIL_IP',
  'MAIL_ADDRESS',
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
  MAIL_IP: { limit: 10, ttlSeconds: 3600 },
  MAIL_ADDRESS: { limit: 3, ttlSeconds: 3600 },
};

const LIMIT = /^(\d{1,9})\s*\/\s*(\d{1,9})$/;

/** `<limit>/<seconds>`, both at least 1. */
const IsRateLimit = () =>
  envRule(
    'rateLimit',
    (raw) => {
      const match = LIMIT.exec(raw);
      return !!match && Number(match[1]) >= 1 && Number(match[2]) >= 1;
    },
    (variable, raw) => `${variable} must be <limit>/<seconds>, such as 5/60 (got "${raw}")`,
  );

function rateLimit(raw: string | undefined, fallback: RateLimit): RateLimit {
  const match = raw === undefined ? null : LIMIT.exec(raw);
  return match ? { limit: Number(match[1]), ttlSeconds: Number(match[2]) } : fallback;
}

/** Rate limits per IP, and the sign-in allowances per account and device. */
export class RateLimitEnv {
  @IsRateLimit()
  THROTTLE_LOGIN_ACCOUNT?: string;

  @IsRateLimit()
  THROTTLE_LOGIN_DEVICE?: string;

  @IsRateLimit()
  THROTTLE_LOGIN_IP?: string;

  @IsRateLimit()
  THROTTLE_REGISTER_IP?: string;

  @IsRateLimit()
  THROTTLE_REFRESH_IP?: string;

  @IsRateLimit()
  THROTTLE_DEFAULT_IP?: string;

  /** Requests per client IP to the routes that send account mail. */
  @IsRateLimit()
  THROTTLE_MAIL_IP?: string;

  /** Account mails per recipient address; beyond it no mail goes out, and the answer stays the same. */
  @IsRateLimit()
  THROTTLE_MAIL_ADDRESS?: string;

  /** The longest sign-in lock, however long a guessing streak goes on. */
  @IsDuration(30 * 86400)
  THROTTLE_LOGIN_LOCK_MAX?: string;
}

export function rateLimitSettings(env: RateLimitEnv): Record<RateLimitName, RateLimit> {
  return Object.fromEntries(
    RATE_LIMIT_NAMES.map((name) => [
      name,
      rateLimit(env[`THROTTLE_${name}`], RATE_LIMIT_DEFAULTS[name]),
    ]),
  ) as Record<RateLimitName, RateLimit>;
}

export const loginLockMaxSeconds = (env: RateLimitEnv): number =>
  durationSeconds(env.THROTTLE_LOGIN_LOCK_MAX, 86400);
