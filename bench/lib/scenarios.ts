import type { Pool } from 'pg';
import { LoadSpec, refreshChains } from './load.js';
import { request, Seeded, seedRefreshTokens } from './seed.js';

export interface ScenarioContext {
  pool: Pool;
  seeded: Seeded;
  accessToken: string;
  connections: number;
}

interface Scenario {
  id: string;
  title: string;
  note: string;
  /** The request the load sends; shared by the benchmark and the profiler so both load the same thing. */
  load(context: ScenarioContext): LoadSpec | Promise<LoadSpec>;
}

/** HTTP Basic for the client-credentials grant (RFC 6749 §2.3.1: form-encoded id and secret). */
function clientBasic(seeded: Seeded): string {
  const { clientId, clientSecret } = seeded.client;
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
}

const JSON_BODY = { 'content-type': 'application/json' };
const bearer = (context: ScenarioContext) => ({ authorization: `Bearer ${context.accessToken}` });

/** Every scenario the benchmark runs, in report order; the profiler takes one by id. */
export const SCENARIOS = [
  {
    id: 'live',
    title: 'GET /health/live',
    note: 'public baseline',
    load: () => ({ method: 'GET', path: '/health/live' }),
  },
  {
    id: 'auth-me',
    title: 'GET /auth/me',
    note: 'JWT guard + blocklist, no database',
    load: (context) => ({ method: 'GET', path: '/auth/me', headers: bearer(context) }),
  },
  {
    id: 'users-me',
    title: 'GET /users/me',
    note: 'guard + one database read',
    load: (context) => ({ method: 'GET', path: '/users/me', headers: bearer(context) }),
  },
  {
    id: 'login',
    title: 'POST /auth/login',
    note: 'Argon2id verify + new session',
    load: ({ seeded }) => ({
      method: 'POST',
      path: '/auth/login',
      headers: JSON_BODY,
      body: JSON.stringify({ username: seeded.user.username, password: seeded.user.password }),
    }),
  },
  {
    id: 'refresh',
    title: 'POST /auth/refresh',
    note: 'rotation, every token used once',
    load: async (context) => {
      // One fresh chain head per connection, plus a few spares for reconnects: every token is used once.
      const heads = await seedRefreshTokens(
        context.pool,
        context.seeded.user.id,
        context.connections + 8,
      );
      return {
        method: 'POST',
        path: '/auth/refresh',
        headers: JSON_BODY,
        dynamic: refreshChains(heads),
      };
    },
  },
  {
    id: 'client-credentials',
    title: 'POST /auth/token (client_credentials)',
    note: 'HTTP Basic',
    load: ({ seeded }) => ({
      method: 'POST',
      path: '/auth/token',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: clientBasic(seeded),
      },
      body: 'grant_type=client_credentials',
    }),
  },
] as const satisfies readonly Scenario[];

export type ScenarioId = (typeof SCENARIOS)[number]['id'];

export function scenarioById(id: ScenarioId): Scenario {
  return SCENARIOS.find((scenario) => scenario.id === id)!;
}

/** The load of one scenario. */
export async function scenarioSpec(id: ScenarioId, context: ScenarioContext): Promise<LoadSpec> {
  return scenarioById(id).load(context);
}

/** Sends one request of a scenario's load; throws with the response unless it is a 2xx. */
export async function expectScenarioAnswers(
  baseUrl: string,
  id: ScenarioId,
  context: ScenarioContext,
): Promise<void> {
  const spec = await scenarioSpec(id, context);
  const body = spec.dynamic ? spec.dynamic.nextBody() : spec.body;
  const response = await request(baseUrl, spec.method, spec.path, { headers: spec.headers, body });
  spec.dynamic?.onResponse(response.status, response.text);
  if (response.status < 200 || response.status >= 300) {
    throw new Error(
      `${scenarioById(id).title}: expected a 2xx, got ${response.status}: ${response.text.slice(0, 500)}`,
    );
  }
}
