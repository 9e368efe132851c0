import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { hashOpaqueToken, newOpaqueToken } from '../../src/common/opaque-token.js';

export interface ApiResponse {
  status: number;
  body: unknown;
  text: string;
}

/** One request to the app, with a time limit; loopback only. `body` is sent as it is. */
export async function request(
  baseUrl: string,
  method: string,
  path: string,
  options: { json?: unknown; form?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  let body = options.body;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = options.form;
  }
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, body: parsed, text };
}

export async function expectStatus(
  what: string,
  pending: Promise<ApiResponse>,
  status: number,
): Promise<Record<string, unknown>> {
  const response = await pending;
  if (response.status !== status) {
    throw new Error(
      `${what}: expected HTTP ${status}, got ${response.status}: ${response.text.slice(0, 500)}`,
    );
  }
  return (response.body ?? {}) as Record<string, unknown>;
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
}

export interface Credentials {
  username: string;
  password: string;
}

export async function login(baseUrl: string, credentials: Credentials): Promise<Tokens> {
  const body = await expectStatus(
    `POST /auth/login as ${credentials.username}`,
    request(baseUrl, 'POST', '/auth/login', {
      json: { username: credentials.username, password: credentials.password },
    }),
    200,
  );
  if (typeof body.access_token !== 'string' || typeof body.refresh_token !== 'string') {
    throw new Error('POST /auth/login: no access_token / refresh_token in the response');
  }
  return { access_token: body.access_token, refresh_token: body.refresh_token };
}

export interface Seeded {
  user: Credentials & { id: string; email: string };
  client: { clientId: string; clientSecret: string };
}

/** Through the API: the benchmark's user (register) and a service client (admin API). */
export async function seedThroughApi(baseUrl: string, admin: Credentials): Promise<Seeded> {
  const tag = randomBytes(6).toString('hex');
  const user = {
    email: `bench-${tag}@bench.test`,
    username: `bench-${tag}`,
    password: `Bench-${randomBytes(12).toString('base64url')}-load`,
  };
  const registered = await expectStatus(
    'POST /auth/register',
    request(baseUrl, 'POST', '/auth/register', { json: user }),
    201,
  );
  const adminTokens = await login(baseUrl, admin);
  const client = await expectStatus(
    'POST /admin/clients',
    request(baseUrl, 'POST', '/admin/clients', {
      json: { name: 'bench-service' },
      headers: { authorization: `Bearer ${adminTokens.access_token}` },
    }),
    201,
  );
  if (typeof client.client_id !== 'string' || typeof client.client_secret !== 'string') {
    throw new Error('POST /admin/clients: no client_id / client_secret in the response');
  }
  return {
    user: { ...user, id: String(registered.id) },
    client: { clientId: client.client_id, clientSecret: client.client_secret },
  };
}

const REFRESH_TTL_SECONDS = 30 * 86400;

/**
 * Live refresh sessions that nobody holds a token for, spread over `users`
 * filler accounts (created here too): the database a real deployment would
 * have, so that the RSS reading and the rotation run against 10k sessions.
 */
export async function seedIdleSessions(
  pool: Pool,
  sessions: number,
  users: number,
  passwordHash: string,
): Promise<void> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO users (email, username, password_hash)
     SELECT 'filler-' || i || '@bench.test', 'filler-' || i, $1 FROM generate_series(1, $2::int) AS i
     RETURNING id`,
    [passwordHash, users],
  );
  const ids = rows.map((row) => row.id);
  await pool.query(
    `INSERT INTO refresh_sessions (family_id, user_id, token_hash, user_agent, ip, session_started_at, expires_at)
     SELECT gen_random_uuid(), ($1::uuid[])[1 + i % array_length($1::uuid[], 1)],
            sha256(convert_to(gen_random_uuid()::text, 'UTF8')), 'bench-filler', '127.0.0.1',
            now(), now() + make_interval(secs => $3::int)
     FROM generate_series(1, $2::int) AS i`,
    [ids, sessions, REFRESH_TTL_SECONDS],
  );
  // Statistics, as autovacuum gathers them after such a load (and as the raw-rotation ceiling's
  // copy has them): without, the planner spends a refresh's token on a scan of every live session.
  await pool.query('ANALYZE users, refresh_sessions');
}

/**
 * Fresh refresh tokens of `userId`, each the head of a new session family,
 * stored exactly as the server stores the ones it issues (hash only).
 * The refresh scenario starts one chain from each.
 */
export async function seedRefreshTokens(
  pool: Pool,
  userId: string,
  count: number,
): Promise<string[]> {
  const tokens = Array.from({ length: count }, newOpaqueToken);
  await pool.query(
    `INSERT INTO refresh_sessions (family_id, user_id, token_hash, user_agent, ip, session_started_at, expires_at)
     SELECT gen_random_uuid(), $1, hash, 'bench', '127.0.0.1', now(), now() + make_interval(secs => $3::int)
     FROM unnest($2::bytea[]) AS hash`,
    [userId, tokens.map(hashOpaqueToken), REFRESH_TTL_SECONDS],
  );
  return tokens;
}

export async function countLiveSessions(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ count: string }>(
    `SELECT count(*) FROM refresh_sessions
     WHERE spent_at IS NULL AND revoked_at IS NULL AND expires_at > now()`,
  );
  return Number(rows[0].count);
}
