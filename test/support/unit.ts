import type { ExecutionContext } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { Clock } from '../../src/common/clock.js';
import { Role } from '../../src/common/role.enum.js';
import { Config, Environment, JwtAlgorithm, loadConfig } from '../../src/config/config.js';
import type { AccessTokenClaims, Principal } from '../../src/common/principal.js';
import type { AttemptRule } from '../../src/rate-limit/attempt-streak.js';
import { generateKeyMaterial, LoadedKey, loadKey } from '../../src/tokens/key-material.js';
import { newTokenId } from '../../src/tokens/token-id.js';
import { User } from '../../src/users/entities/user.entity.js';

/**
 * Small builders of test data for unit specs (the fakes of our services are
 * in `fakes.ts`). Nothing here touches a database or Redis.
 */

export const TEST_ISSUER = 'https://auth.test.local';
export const TEST_AUDIENCE = 'test-services';

/** A secret that passes the production rules: 32 random bytes, base64url. */
export function strongSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** An environment that a production deployment would accept. */
export function productionEnv(overrides: Environment = {}): Environment {
  return {
    NODE_ENV: 'production',
    DATABASE_URL: 'postgres://auth:auth@db.internal:5432/auth',
    REDIS_URL: 'redis://cache.internal:6379',
    KEY_ENCRYPTION_SECRET: strongSecret(),
    JWT_ISSUER: 'https://auth.example.com',
    SMTP_URL: 'smtp://mailer:mail-password@smtp.internal:587',
    ...overrides,
  };
}

/** A validated config for services under test, with a fixed issuer and audience. */
export function testConfig(overrides: Environment = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    JWT_ISSUER: TEST_ISSUER,
    JWT_AUDIENCE: TEST_AUDIENCE,
    ...overrides,
  });
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;

/** A sign-in allowance for counting specs: 3 attempts, then 1 min, doubling up to 5 min; each 10 quiet minutes forgive 3 failures. */
export const ATTEMPT_RULE: AttemptRule = {
  limit: 3,
  lockMs: MINUTE,
  maxLockMs: 5 * MINUTE,
  forgiveMs: 10 * MINUTE,
};

/** A clock that stands still until a test moves it. */
export class FakeClock extends Clock {
  /** Starts on a whole second, as JWT and device-token times are written. */
  constructor(private time = Math.floor(Date.now() / 1000) * 1000) {
    super();
  }

  override now(): number {
    return this.time;
  }

  /** Sets the time, in milliseconds since the epoch. */
  set(time: number): void {
    this.time = time;
  }

  advance(ms: number): void {
    this.time += ms;
  }
}

/** A freshly generated signing key, loaded as `KeyObject`s. */
export function newSigningKey(
  algorithm: JwtAlgorithm = 'RS256',
  options: { retired?: boolean } = {},
): LoadedKey {
  const material = generateKeyMaterial(algorithm);
  return loadKey(
    material.kid,
    algorithm,
    material.privateBytes,
    material.publicJwk,
    options.retired ?? false,
  );
}

/** The claims of a valid, just-issued user access token. */
export function accessTokenClaims(overrides: Partial<AccessTokenClaims> = {}): AccessTokenClaims {
  const iat = Math.floor(Date.now() / 1000);
  return {
    iss: TEST_ISSUER,
    aud: TEST_AUDIENCE,
    sub: randomUUID(),
    iat,
    exp: iat + 900,
    jti: newTokenId(),
    sid: randomUUID(),
    roles: [Role.User],
    ...overrides,
  };
}

/** A user row: active, role `user`, unless overridden. */
export function userEntity(overrides: Partial<User> = {}): User {
  const tag = randomBytes(4).toString('hex');
  return Object.assign(new User(), {
    id: randomUUID(),
    email: `ada-${tag}@example.com`,
    username: `ada-${tag}`,
    displayName: null,
    roles: [Role.User],
    disabled: false,
    createdAt: new Date(),
    updatedAt: new Date(),
    lastLoginAt: null,
    ...overrides,
  });
}

/** A verified caller as guards see it: a signed-in user unless overridden. */
export function newPrincipal(overrides: Partial<Principal> = {}): Principal {
  const claims = accessTokenClaims();
  return {
    subject: claims.sub,
    userId: claims.sub,
    clientId: null,
    roles: claims.roles,
    sessionId: claims.sid!,
    tokenId: claims.jti,
    issuedAt: claims.iat,
    expiresAt: claims.exp,
    claims,
    ...overrides,
  };
}

export interface HttpContextOptions {
  controller: abstract new (...args: never[]) => unknown;
  handler: string;
  request?: { headers?: Record<string, string>; user?: Principal };
}

/** The part of an `ExecutionContext` that guards read: handler, class and the HTTP request. */
export function httpContext({
  controller,
  handler,
  request = {},
}: HttpContextOptions): ExecutionContext {
  const req = { headers: {}, ...request };
  const method = (controller.prototype as Record<string, unknown>)[handler];
  if (typeof method !== 'function') throw new Error(`${controller.name} has no handler ${handler}`);
  return {
    getHandler: () => method,
    getClass: () => controller,
    getType: () => 'http',
    switchToHttp: () => ({
      getRequest: () => req,
      getResponse: () => ({}),
      getNext: () => undefined,
    }),
  } as unknown as ExecutionContext;
}

/** What `act` throws (or rejects with), so a spec can assert on its fields; fails if nothing is thrown. */
export async function caught(act: () => unknown): Promise<unknown> {
  try {
    await act();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, but none was thrown');
}
