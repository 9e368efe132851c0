import { randomBytes } from 'node:crypto';
import http from 'node:http';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsListener } from '../src/metrics/metrics-listener.js';
import { OutboxWorker } from '../src/outbox/outbox.worker.js';
import { FIRST_RETRY_MS } from '../src/outbox/retry-delay.js';
import { SigningKeysService } from '../src/tokens/signing-keys.service.js';
import { PasswordHasher } from '../src/users/password-hasher.service.js';
import { realServices } from './support/app.js';
import { BuiltServer, runBuiltCli } from './support/built-server.js';
import {
  adminTokens,
  bearer,
  expectProblem,
  login,
  loginStatus,
  register,
  signUp,
  updateUser,
} from './support/factories.js';
import { refreshStatus, refreshTokens, useRedisServer } from './support/lifecycle.js';
import { freePort } from './support/net.js';
import { useTestApp } from './support/test-app.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

/**
 * Issue 7, point 6: /metrics is served only to METRICS_TOKEN on the main
 * port, or on the management listener (METRICS_PORT); with neither, nowhere.
 * In a cluster it reports every worker, not the one that answered.
 */

const newToken = () => randomBytes(32).toString('base64url');

interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** The samples of one metric in a text exposition. */
function samples(text: string, name: string): Sample[] {
  const line = new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`, 'gm');
  return [...text.matchAll(line)].map(([, labels = '', value]) => ({
    labels: Object.fromEntries(
      [...labels.matchAll(/(\w+)="([^"]*)"/g)].map(([, key, label]) => [key, label]),
    ),
    value: Number(value),
  }));
}

/** The sum of the samples of `name` whose labels include `labels` (0 when there are none). */
const valueOf = (text: string, name: string, labels: Record<string, string> = {}) =>
  samples(text, name)
    .filter((sample) =>
      Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
    )
    .reduce((sum, { value }) => sum + value, 0);

/** How many requests to GET `route` answered 200, according to `text`. */
const requestCount = (text: string, route: string) =>
  samples(text, 'http_request_duration_seconds_count')
    .filter(({ labels }) => labels.method === 'GET' && labels.route === route)
    .filter(({ labels }) => labels.status === '200')
    .reduce((sum, { value }) => sum + value, 0);

describe('/metrics with neither METRICS_TOKEN nor METRICS_PORT', () => {
  const t = useTestApp();

  it('answers 404 with a problem body, whatever credential is sent', async () => {
    const user = await signUp(t.http);

    expectProblem(await t.http.get('/metrics'), 404);
    expectProblem(await t.http.get('/metrics').set(bearer(newToken())), 404);
    expectProblem(await t.http.get('/metrics').set(bearer(user.tokens.access_token)), 404);
  });

  it('leaves /metrics out of the OpenAPI document', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body as {
      paths: Record<string, unknown>;
      components: { securitySchemes: Record<string, unknown> };
    };

    expect(Object.keys(doc.paths)).not.toContain('/metrics');
    expect(Object.keys(doc.paths)).toContain('/health/live');
    expect(Object.keys(doc.components.securitySchemes)).not.toContain('metrics');
  });
});

describe('/metrics with METRICS_TOKEN', () => {
  const token = newToken();
  const t = useTestApp({ env: { METRICS_TOKEN: token } });

  it('answers 401 with a Bearer challenge and no metrics without a token', async () => {
    const response = await t.http.get('/metrics');

    expectProblem(response, 401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="auth"');
    expect(response.text).not.toContain('http_request_duration_seconds');
  });

  it.each([
    ['a wrong token of the same length', () => newToken()],
    ['the token with one character more', () => `${token}x`],
    ['a prefix of the token', () => token.slice(0, 16)],
  ])('answers 401 invalid_token to %s', async (_, wrong) => {
    const response = await t.http.get('/metrics').set(bearer(wrong()));

    expectProblem(response, 401);
    expect(response.headers['www-authenticate']).toMatch(
      /^Bearer realm="auth", error="invalid_token"/,
    );
    expect(response.text).not.toContain(token);
  });

  it('answers 401 to a valid access token: the metrics token is a secret of its own', async () => {
    const user = await signUp(t.http);

    expectProblem(await t.http.get('/metrics').set(bearer(user.tokens.access_token)), 401);
  });

  it('answers 401 to the token in another scheme', async () => {
    const basic = `Basic ${Buffer.from(`metrics:${token}`).toString('base64')}`;

    expectProblem(await t.http.get('/metrics').set('Authorization', basic), 401);
    expectProblem(await t.http.get('/metrics').set('Authorization', token), 401);
  });

  it('serves the Prometheus text exposition to the right token, counting the requests served', async () => {
    for (let i = 0; i < 3; i++) await t.http.get('/health/live').expect(200);

    const response = await t.http.get('/metrics').set('Authorization', `bearer ${token}`);

    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(requestCount(response.text, '/health/live')).toBe(3);
    expect(samples(response.text, 'process_cpu_user_seconds_total')).toHaveLength(1);
  });
});

describe('what /metrics counts (issue 9, point 4)', () => {
  const token = newToken();
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await receiver.stop();
  });
  const t = useTestApp({
    env: () => ({
      METRICS_TOKEN: token,
      THROTTLE_LOGIN_ACCOUNT: '2/60',
      SECURITY_WEBHOOK_URL: receiver.url,
      SECURITY_WEBHOOK_SECRET: newToken(),
    }),
  });
  const scrape = async () => (await t.http.get('/metrics').set(bearer(token)).expect(200)).text;
  /** How much `name{labels}` grew while `action` ran. */
  const change = async (
    name: string,
    labels: Record<string, string>,
    action: () => Promise<unknown>,
  ) => {
    const before = valueOf(await scrape(), name, labels);
    await action();
    return valueOf(await scrape(), name, labels) - before;
  };

  it('no longer has the coarse auth_events_total', async () => {
    await signUp(t.http);

    expect(await scrape()).not.toContain('auth_events_total');
  });

  it('counts sign-ins by result', async () => {
    const user = await register(t.http);
    const other = await register(t.http);
    const admin = await adminTokens(t.http);
    const signIns = (result: string, action: () => Promise<unknown>) =>
      change('auth_sign_ins_total', { result }, action);

    expect(await signIns('success', () => login(t.http, user.username, user.password))).toBe(1);
    expect(
      await signIns('wrong_password', () => loginStatus(t.http, user.username, 'not it at all')),
    ).toBe(1);
    expect(
      await signIns('unknown_user', () => loginStatus(t.http, 'nobody-here', 'whatever pass')),
    ).toBe(1);
    await updateUser(t.http, admin.access_token, other.id, { disabled: true });
    expect(
      await signIns('disabled', () => loginStatus(t.http, other.username, other.password)),
    ).toBe(1);
  });

  it('counts a sign-in lock as a sign-in result and a rate-limit hit of LOGIN_ACCOUNT', async () => {
    const user = await register(t.http);
    for (let i = 0; i < 2; i++)
      expect(await loginStatus(t.http, user.username, `wrong ${i} guess`)).toBe(401);
    const before = await scrape();

    expect(await loginStatus(t.http, user.username, user.password)).toBe(429);

    const after = await scrape();
    const grew = (name: string, labels: Record<string, string>) =>
      valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(grew('auth_sign_ins_total', { result: 'locked' })).toBe(1);
    expect(grew('rate_limit_hits_total', { limit: 'LOGIN_ACCOUNT' })).toBe(1);
  });

  it('counts refreshes by result, reuse detections, and revocations by reason', async () => {
    const user = await signUp(t.http);
    const refreshes = (result: string, action: () => Promise<unknown>) =>
      change('auth_refreshes_total', { result }, action);

    const rotated = await refreshTokens(t.http, user.tokens.refresh_token);
    expect(await refreshes('success', () => refreshTokens(t.http, rotated.refresh_token))).toBe(1);
    expect(await refreshes('invalid', () => refreshStatus(t.http, 'x'.repeat(43)))).toBe(1);
    const before = await scrape();
    expect(await refreshStatus(t.http, user.tokens.refresh_token)).toBe(401);
    const after = await scrape();

    const grew = (name: string, labels: Record<string, string> = {}) =>
      valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(grew('auth_refreshes_total', { result: 'reuse' })).toBe(1);
    expect(grew('auth_refresh_reuse_detections_total')).toBe(1);
    expect(grew('auth_session_revocations_total', { reason: 'reuse' })).toBe(1);

    const other = await signUp(t.http);
    const logout = () =>
      t.http.post('/auth/logout').set(bearer(other.tokens.access_token)).expect(204);
    expect(await change('auth_session_revocations_total', { reason: 'logout' }, logout)).toBe(1);
  });

  it('times every blocklist check', async () => {
    const user = await signUp(t.http);
    const me = () => t.http.get('/auth/me').set(bearer(user.tokens.access_token)).expect(200);

    expect(await change('blocklist_check_duration_seconds_count', {}, me)).toBe(1);
  });

  it('reports Argon2 computations in progress, and those beyond the thread pool as waiting', async () => {
    const hasher = t.app.get(PasswordHasher);
    const hashes = Array.from({ length: 8 }, (_, i) => hasher.hash(`password number ${i}`));

    const during = await scrape();
    await Promise.all(hashes);
    const after = await scrape();

    expect(valueOf(during, 'password_hashes_in_progress')).toBeGreaterThan(0);
    expect(valueOf(during, 'password_hashes_waiting')).toBe(
      Math.max(0, valueOf(during, 'password_hashes_in_progress') - 4),
    );
    expect(valueOf(after, 'password_hashes_in_progress')).toBe(0);
  });

  it('reports the database pool and the Redis connection', async () => {
    const text = await scrape();

    const total = valueOf(text, 'database_pool_connections');
    expect(total).toBeGreaterThanOrEqual(1);
    expect(total).toBeLessThanOrEqual(realServices.databaseUrl ? 5 : 1);
    expect(valueOf(text, 'database_pool_idle_connections')).toBeLessThanOrEqual(total);
    expect(samples(text, 'database_pool_waiting_queries')).toEqual([{ labels: {}, value: 0 }]);
    expect(samples(text, 'redis_up')).toEqual([{ labels: {}, value: 1 }]);
  });

  it('reports the webhook backlog and delivery failures, and the delivery once it succeeds', async () => {
    const kind = { kind: 'security_webhook' };
    // Earlier tests queued events (a reuse, a lock) that the background poll may not have sent
    // yet: stop the poll and send them, so this test counts only its own message.
    const worker = t.app.get(OutboxWorker);
    await worker.stop();
    await worker.deliverDue();
    receiver.status = 500;
    const user = await signUp(t.http);
    await refreshTokens(t.http, user.tokens.refresh_token);
    const before = await scrape();
    expect(await refreshStatus(t.http, user.tokens.refresh_token)).toBe(401);

    const queued = await scrape();
    expect(valueOf(queued, 'outbox_messages_pending', kind)).toBe(1);
    expect(valueOf(queued, 'outbox_oldest_pending_age_seconds', kind)).toBeGreaterThanOrEqual(0);
    await worker.deliverDue();
    await expect
      .poll(async () => valueOf(await scrape(), 'outbox_delivery_failures_total', kind))
      .toBe(valueOf(before, 'outbox_delivery_failures_total', kind) + 1);
    expect(valueOf(await scrape(), 'outbox_messages_pending', kind)).toBe(1);

    receiver.status = 204;
    t.clock().advance(FIRST_RETRY_MS / 1000 + 1);
    await worker.deliverDue();

    await expect
      .poll(async () => valueOf(await scrape(), 'outbox_deliveries_total', kind))
      .toBe(valueOf(before, 'outbox_deliveries_total', kind) + 1);
    expect(valueOf(await scrape(), 'outbox_messages_pending', kind)).toBe(0);
  });

  it('reports the age of the active signing key', async () => {
    const fresh = valueOf(await scrape(), 'signing_key_age_seconds');
    expect(fresh).toBeGreaterThanOrEqual(0);
    expect(fresh).toBeLessThan(600);

    await t.sql(`UPDATE signing_keys SET created_at = created_at - interval '2 hours'`);
    await t.app.get(SigningKeysService).reload();

    const aged = valueOf(await scrape(), 'signing_key_age_seconds');
    expect(aged).toBeGreaterThanOrEqual(7200);
    expect(aged).toBeLessThan(7200 + 600);
  });
});

describe('/metrics following the Redis connection', () => {
  const token = newToken();
  const redis = useRedisServer();
  const t = useTestApp({ env: () => ({ METRICS_TOKEN: token, REDIS_URL: redis.url }) });
  const redisUp = async () =>
    valueOf((await t.http.get('/metrics').set(bearer(token)).expect(200)).text, 'redis_up');

  it('reports redis_up 0 while Redis is down and 1 once it is back', async () => {
    expect(await redisUp()).toBe(1);

    await redis.stop();
    await expect.poll(redisUp, { timeout: 10_000 }).toBe(0);

    await redis.start();
    await expect.poll(redisUp, { timeout: 10_000 }).toBe(1);
  });
});

describe('/metrics counting per-IP rate-limit hits', () => {
  const token = newToken();
  const t = useTestApp({ env: { METRICS_TOKEN: token, THROTTLE_LOGIN_IP: '1/60' } });

  it('counts a 429 of a per-IP limit under the limit’s name', async () => {
    const scrape = async () => (await t.http.get('/metrics').set(bearer(token)).expect(200)).text;
    const before = valueOf(await scrape(), 'rate_limit_hits_total', { limit: 'LOGIN_IP' });

    expect(await loginStatus(t.http, 'someone', 'some password')).toBe(401);
    expect(await loginStatus(t.http, 'someone', 'some password')).toBe(429);

    expect(valueOf(await scrape(), 'rate_limit_hits_total', { limit: 'LOGIN_IP' })).toBe(
      before + 1,
    );
  });
});

describe('/metrics with METRICS_PORT', () => {
  let port: number;
  let listener: ReturnType<typeof supertest>;
  beforeAll(async () => {
    port = await freePort();
    listener = supertest(`http://127.0.0.1:${port}`);
  });
  const t = useTestApp({ env: () => ({ METRICS_PORT: String(port) }) });

  it('serves /metrics on 127.0.0.1 (the default METRICS_HOST) without a token', async () => {
    await t.http.get('/health/live').expect(200);

    const response = await listener.get('/metrics');

    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(requestCount(response.text, '/health/live')).toBe(1);
    expect(t.app.get(MetricsListener).address).toMatchObject({ address: '127.0.0.1', port });
  });

  it('serves nothing else there, with the problem shape', async () => {
    expectProblem(await listener.get('/health/live'), 404);
    expectProblem(await listener.get('/auth/me'), 404);
    expectProblem(await listener.post('/metrics'), 404);
  });

  it('is not served on the main port', async () => {
    expectProblem(await t.http.get('/metrics'), 404);
  });

  it('stops listening when the app closes', async () => {
    await t.stop();

    await expect(listener.get('/metrics')).rejects.toThrow(/ECONNREFUSED/);
  });
});

/** GET on a new connection each time, so that the cluster hands each one to the next worker. */
function getOnNewConnection(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode!));
      })
      .on('error', reject);
  });
}

// WEB_CONCURRENCY > 1 is refused on the embedded database and in-process stores.
describe.runIf(realServices.databaseUrl && realServices.redisUrl)(
  '/metrics of a cluster (the built server with WEB_CONCURRENCY=2)',
  () => {
    const token = newToken();
    const sent = 20;
    // Provides the schema (migrated), the Redis prefix and the clean-up; the server shares them.
    const template = useTestApp();
    let server: BuiltServer | undefined;
    let port: number;
    let metricsPort: number;
    beforeAll(async () => {
      [port, metricsPort] = [await freePort(), await freePort()];
      server = BuiltServer.start({
        ...template.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        WEB_CONCURRENCY: '2',
        METRICS_TOKEN: token,
        METRICS_PORT: String(metricsPort),
      });
      await server.waitUntilListening(2);
      // The cluster hands connections to its workers in turn: each serves half of them.
      for (let i = 0; i < sent; i++)
        expect(await getOnNewConnection(port, '/health/live')).toBe(200);
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('sums the requests of both workers on the main port (METRICS_TOKEN)', async () => {
      const response = await supertest(`http://127.0.0.1:${port}`)
        .get('/metrics')
        .set(bearer(token));

      expect(response.status, server!.log).toBe(200);
      expect(requestCount(response.text, '/health/live')).toBe(sent);
    });

    it('sums them on the metrics port too, served by the primary without a token', async () => {
      const response = await supertest(`http://127.0.0.1:${metricsPort}`).get('/metrics');

      expect(response.status, server!.log).toBe(200);
      expect(requestCount(response.text, '/health/live')).toBe(sent);
    });

    it('keeps each worker’s process metrics apart, labelled by worker', async () => {
      const response = await supertest(`http://127.0.0.1:${metricsPort}`).get('/metrics');

      const cpu = samples(response.text, 'process_cpu_user_seconds_total');
      const memory = samples(response.text, 'process_resident_memory_bytes');
      expect(cpu.map(({ labels }) => labels.worker).sort()).toEqual(['1', '2']);
      expect(memory.map(({ labels }) => labels.worker).sort()).toEqual(['1', '2']);
      expect(memory.every(({ value }) => value > 10 * 1024 * 1024)).toBe(true);
    });

    it('reports what the workers share once (key age, Redis) and sums their pools', async () => {
      const response = await supertest(`http://127.0.0.1:${metricsPort}`).get('/metrics');

      const age = samples(response.text, 'signing_key_age_seconds');
      expect(age).toHaveLength(1);
      expect(age[0].value).toBeLessThan(600);
      expect(samples(response.text, 'redis_up')).toEqual([{ labels: {}, value: 1 }]);
      expect(valueOf(response.text, 'database_pool_connections')).toBeGreaterThanOrEqual(2);
    });

    it('still refuses /metrics on the main port without the token', async () => {
      const response = await supertest(`http://127.0.0.1:${port}`).get('/metrics');

      expectProblem(response, 401);
    });

    it('lets the CLI run with the same environment: only the server listens on METRICS_PORT', async () => {
      const stdout = await runBuiltCli(['keys:rotate'], server!.env);

      expect(stdout).toMatch(/^new active signing key: \S+$/m);
    });
  },
);
