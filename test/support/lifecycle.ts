/**
 * Helpers for the token-lifecycle e2e tests (refresh, sessions, OAuth2,
 * rate limits, keys, scale-out, Redis outage).
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import type supertest from 'supertest';
import { KEY_VALUE_STORE } from '../../src/redis/redis.module.js';
import type { KeyValueStore } from '../../src/redis/key-value-store.js';
import type { RunningApp } from './app.js';
import { afterAll, beforeAll, expect } from 'vitest';
import { bearer, decodeJwt, type Tokens } from './factories.js';
import { canConnect, freePort } from './net.js';
import type { AppHandle } from './test-app.js';

type Http = ReturnType<typeof supertest>;

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Calls `probe` every `intervalMs` until it returns a truthy value or
 * `timeoutMs` passes; returns that value, or throws with `what` in the message.
 */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  { timeoutMs = 10_000, intervalMs = 200 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await pause(intervalMs);
  }
}

/** Status of GET /auth/me with this access token. */
export async function meStatus(http: Http, accessToken: string): Promise<number> {
  return (await http.get('/auth/me').set(bearer(accessToken))).status;
}

/** POST /auth/refresh with this refresh token, which must answer 200; the new tokens. */
export async function refreshTokens(http: Http, refreshToken: string): Promise<Tokens> {
  const response = await http.post('/auth/refresh').send({ refresh_token: refreshToken });
  expect(response.status, response.text).toBe(200);
  return response.body as Tokens;
}

/** Status of POST /auth/refresh with this refresh token. */
export async function refreshStatus(http: Http, refreshToken: string): Promise<number> {
  return (await http.post('/auth/refresh').send({ refresh_token: refreshToken })).status;
}

/** The session id (`sid`) an access token belongs to. */
export const sessionIdOf = (accessToken: string) => decodeJwt(accessToken).payload.sid as string;

/** The `kid` in an access token's header. */
export const kidOf = (accessToken: string) => decodeJwt(accessToken).header.kid as string;

/** An HTTP Basic header for client authentication (RFC 6749 §2.3.1). */
export const basicAuth = (clientId: string, clientSecret: string) => ({
  Authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
});

/** The kids the app publishes in its JWKS. */
export async function jwksKids(http: Http): Promise<string[]> {
  const response = await http.get('/.well-known/jwks.json').expect(200);
  return (response.body.keys as { kid: string }[]).map((key) => key.kid);
}

/** Deletes every Redis key of the app's prefix (its blocklist, marker and counters), as a flush would. */
export async function flushAppRedis(t: RunningApp): Promise<number> {
  const kv = t.app.get<KeyValueStore>(KEY_VALUE_STORE);
  if (!kv.client) throw new Error('flushAppRedis needs an app on Redis');
  const keys = await kv.client.keys(`${t.env.REDIS_KEY_PREFIX}*`);
  if (keys.length > 0) await kv.client.del(keys);
  return keys.length;
}

/**
 * Moves a session `seconds` into the past, as if that much time had gone by
 * since each of its tokens was written. Idle and absolute expiry are decided
 * by PostgreSQL's now(), which a test cannot move, so the rows move instead.
 */
export async function ageSession(
  t: Pick<AppHandle, 'sql'>,
  sessionId: string,
  seconds: number,
): Promise<void> {
  await t.sql(
    `UPDATE refresh_sessions
     SET session_started_at = session_started_at - make_interval(secs => $2),
         created_at = created_at - make_interval(secs => $2),
         expires_at = expires_at - make_interval(secs => $2),
         spent_at = spent_at - make_interval(secs => $2),
         revoked_at = revoked_at - make_interval(secs => $2)
     WHERE family_id = $1`,
    [sessionId, seconds],
  );
}

// --- A private redis-server, for outage tests ----------------------------------------

/** Whether `redis-server` is installed, for the tests that run their own. */
export function hasRedisServer(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * A throw-away `redis-server` on its own port, started before the spec's app
 * and stopped after the app has closed: call it before `useTestApp`, and
 * read `url` in the app's `env` function.
 */
export function useRedisServer(): RedisServer {
  const redis = new RedisServer();
  beforeAll(() => redis.start());
  afterAll(() => redis.stop());
  return redis;
}

/**
 * A throw-away `redis-server` without persistence, started and stopped by the
 * test; on a free port picked at the first start and kept for restarts.
 */
export class RedisServer {
  private process: ChildProcess | null = null;
  private assignedPort: number | undefined;

  get port(): number {
    if (this.assignedPort === undefined) throw new Error('redis-server was never started');
    return this.assignedPort;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.process !== null;
  }

  async start(): Promise<void> {
    if (this.process) throw new Error('redis-server already running');
    this.assignedPort ??= await freePort();
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    this.process = child;
    // Never outlive the test process, whatever happens to its hooks.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => {
      process.off('exit', killOnExit);
      if (this.process === child) this.process = null;
    });
    await pollUntil(
      `redis-server on port ${this.port}`,
      async () => this.process === child && canConnect(this.port),
      {
        timeoutMs: 5_000,
        intervalMs: 50,
      },
    );
  }

  /** SIGTERM, and waits until the process has exited. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    this.process = null;
  }
}
