import { randomBytes } from 'node:crypto';
import http from 'node:http';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsListener } from '../src/metrics/metrics-listener.js';
import { realServices } from './support/app.js';
import { BuiltServer, runBuiltCli } from './support/built-server.js';
import { bearer, expectProblem, signUp } from './support/factories.js';
import { freePort } from './support/net.js';
import { useTestApp } from './support/test-app.js';

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
