import { hash } from '@node-rs/argon2';
import { type KeyObject, sign } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { hashOpaqueToken, newOpaqueToken } from '../../src/common/opaque-token.js';
import { ARGON2_OPTIONS } from '../../src/users/password-hasher.service.js';

export interface CeilingResult {
  /** Operations per second. */
  rate: number;
  operations: number;
  seconds: number;
  concurrency: number;
  /** CPU time of this process (all its threads) per operation, milliseconds. */
  cpuMsPerOperation: number;
}

/** An access token's signing input: a header and claims of the size the server signs. */
const ACCESS_TOKEN_INPUT = Buffer.from(
  `${Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid: 'k'.repeat(43) })).toString('base64url')}.` +
    Buffer.from(
      JSON.stringify({
        iat: 1_800_000_000,
        roles: ['user'],
        sid: '0192e0d1-7c5a-7b3e-9f4a-2d6c8e1b3a57',
        exp: 1_800_000_900,
        aud: 'auth-server',
        iss: 'https://auth.bench.test',
        sub: '0192e0d1-7c5a-7b3e-9f4a-2d6c8e1b3a58',
        jti: '0192e0d1-7c5a-7b3e-9f4a-2d6c8e1b3a59',
      }),
    ).toString('base64url'),
);

function signAccessTokenSized(key: KeyObject): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    sign('sha256', ACCESS_TOKEN_INPUT, key, (error, signature) =>
      error ? reject(error) : resolve(signature),
    );
  });
}

/** Hard bound on any measuring loop, whatever the duration. */
const MAX_OPERATIONS = 10_000_000;

/**
 * `concurrency` loops, each repeating `operation` until the deadline. The
 * rate counts operations finished by the deadline over the time until the
 * last of them finished.
 */
async function measure(
  seconds: number,
  concurrency: number,
  operation: (loop: number) => Promise<void>,
): Promise<CeilingResult> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let operations = 0;
  let last = started;
  const loops = Array.from({ length: concurrency }, async (_, loop) => {
    while (performance.now() < deadline && operations < MAX_OPERATIONS) {
      await operation(loop);
      const now = performance.now();
      if (now <= deadline) {
        operations++;
        last = now;
      }
    }
  });
  await Promise.all(loops);
  const cpu = process.cpuUsage(cpuBefore);
  const elapsed = (last - started) / 1000;
  return {
    rate: elapsed > 0 ? operations / elapsed : 0,
    operations,
    seconds: elapsed,
    concurrency,
    cpuMsPerOperation: (cpu.user + cpu.system) / 1000 / Math.max(1, operations),
  };
}

/**
 * Argon2id hashes per second in this process at the server's cost, with
 * enough hashes in flight to keep every thread of the libuv pool busy (the
 * server verifies on the same pool).
 */
export function argon2Ceiling(seconds: number): Promise<CeilingResult> {
  const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  return measure(seconds, threads * 2, async () => {
    await hash('correct horse battery staple', ARGON2_OPTIONS);
  });
}

/**
 * The raw refresh rotation with node-postgres, as the server runs it
 * (src/tokens/refresh-sessions.repository.ts): in one transaction, spend the
 * presented token with a guarded UPDATE … RETURNING *, then INSERT its
 * successor. Runs against `bench_rotation`, a copy of refresh_sessions'
 * shape (columns, defaults, indexes, the foreign key to users) holding as
 * many rows as the real table, so the server's own table is left alone.
 */
export class RotationCeiling {
  private constructor(
    private readonly pool: pg.Pool,
    private readonly userId: string,
  ) {}

  static async create(
    connectionString: string,
    schema: string,
    connections: number,
    userId: string,
    rows: number,
  ): Promise<RotationCeiling> {
    const pool = new pg.Pool({
      connectionString,
      max: connections,
      options: `-c search_path=${schema}`,
      connectionTimeoutMillis: 5_000,
    });
    await pool.query(`CREATE TABLE IF NOT EXISTS bench_rotation
      (LIKE refresh_sessions INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)`);
    await pool.query(`ALTER TABLE bench_rotation DROP CONSTRAINT IF EXISTS bench_rotation_user_fk`);
    await pool.query(`ALTER TABLE bench_rotation ADD CONSTRAINT bench_rotation_user_fk
      FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE`);
    const { rows: existing } = await pool.query<{ count: string }>(
      'SELECT count(*) FROM bench_rotation',
    );
    const missing = rows - Number(existing[0].count);
    if (missing > 0) {
      await pool.query(
        `INSERT INTO bench_rotation (family_id, user_id, token_hash, user_agent, ip, session_started_at, expires_at)
         SELECT gen_random_uuid(), $1, sha256(convert_to(gen_random_uuid()::text, 'UTF8')), 'bench-filler',
                '127.0.0.1', now(), now() + interval '30 days'
         FROM generate_series(1, $2::int)`,
        [userId, missing],
      );
    }
    await pool.query('ANALYZE bench_rotation');
    return new RotationCeiling(pool, userId);
  }

  /** Transactions per second with `concurrency` loops, each rotating its own chain. */
  async measure(
    seconds: number,
    concurrency: number,
    idleSeconds = 7 * 86400,
  ): Promise<CeilingResult> {
    const heads = await this.seedHeads(concurrency);
    return measure(seconds, concurrency, (loop) => this.rotate(heads, loop, idleSeconds));
  }

  /**
   * The ceiling of `POST /auth/refresh` on this machine, composed of its
   * parts: per operation the raw rotation transaction, one primary-key read
   * of the user (`roles`, if not disabled) and one signature of an access
   * token's size with `signingKey` (RS256 on libuv's pool, as the server
   * signs), each loop on its own connection, `concurrency` loops (the
   * server's connection count). No HTTP, no framework: what is left is the
   * work refresh cannot avoid.
   */
  async measureRefresh(
    seconds: number,
    concurrency: number,
    signingKey: KeyObject,
    idleSeconds = 7 * 86400,
  ): Promise<CeilingResult> {
    const heads = await this.seedHeads(concurrency);
    return measure(seconds, concurrency, async (loop) => {
      await this.rotate(heads, loop, idleSeconds);
      const { rows } = await this.pool.query(
        'SELECT roles FROM users WHERE id = $1 AND disabled = false',
        [this.userId],
      );
      if (rows.length !== 1) throw new Error('refresh ceiling: the user was not found');
      await signAccessTokenSized(signingKey);
    });
  }

  private async seedHeads(concurrency: number): Promise<string[]> {
    const heads = Array.from({ length: concurrency }, newOpaqueToken);
    await this.pool.query(
      `INSERT INTO bench_rotation (family_id, user_id, token_hash, user_agent, ip, session_started_at, expires_at)
       SELECT gen_random_uuid(), $1, hash, 'bench', '127.0.0.1', now(), now() + interval '30 days'
       FROM unnest($2::bytea[]) AS hash`,
      [this.userId, heads.map(hashOpaqueToken)],
    );
    return heads;
  }

  /** One rotation of loop `loop`'s chain: spend its head, insert the successor, in one transaction. */
  private async rotate(heads: string[], loop: number, idleSeconds: number): Promise<void> {
    const next = newOpaqueToken();
    const client = await this.pool.connect();
    try {
      await client.query('START TRANSACTION');
      const spent = await client.query(
        `UPDATE bench_rotation SET spent_at = now()
         WHERE token_hash = $1 AND spent_at IS NULL AND revoked_at IS NULL AND expires_at > now()
           AND created_at > now() - make_interval(secs => $2)
         RETURNING *`,
        [hashOpaqueToken(heads[loop]), idleSeconds],
      );
      const row = spent.rows[0] as Record<string, unknown> | undefined;
      if (!row) throw new Error('raw rotation: the chain head was not live');
      await client.query(
        `INSERT INTO bench_rotation
           (id, family_id, user_id, token_hash, user_agent, ip, session_started_at, created_at, expires_at,
            spent_at, revoked_at, revoked_reason)
         VALUES (DEFAULT, $1, $2, $3, $4, $5, $6, DEFAULT, $7, DEFAULT, DEFAULT, DEFAULT)
         RETURNING id, created_at`,
        [
          row.family_id,
          row.user_id,
          hashOpaqueToken(next),
          row.user_agent,
          row.ip,
          row.session_started_at,
          row.expires_at,
        ],
      );
      await client.query('COMMIT');
      heads[loop] = next;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private closed: Promise<void> | null = null;

  close(): Promise<void> {
    this.closed ??= this.pool.end();
    return this.closed;
  }
}
