import type { Pool } from 'pg';
import { LoadSpec, refreshChains } from './load.js';
import type { ScenarioId } from './report.js';
import { Seeded, seedRefreshTokens } from './seed.js';

export interface ScenarioContext {
  pool: Pool;
  seeded: Seeded;
  accessToken: string;
  connections: number;
}

/** HTTP Basic for the client-credentials grant (RFC 6749 §2.3.1: form-encoded id and secret). */
export function clientBasic(seeded: Seeded): string {
  const { clientId, clientSecret } = seeded.client;
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
}

const JSON_BODY = { 'content-type': 'application/json' };

/** The request each scenario sends; shared by the benchmark and the profiler so both load the same thing. */
export async function scenarioSpec(id: ScenarioId, context: ScenarioContext): Promise<LoadSpec> {
  const bearer = { authorization: `Bearer ${context.accessToken}` };
  switch (id) {
    case 'live':
      return { method: 'GET', path: '/health/live' };
    case 'auth-me':
      return { method: 'GET', path: '/auth/me', headers: bearer };
    case 'users-me':
      return { method: 'GET', path: '/users/me', headers: bearer };
    case 'login':
      return {
        method: 'POST',
        path: '/auth/login',
        headers: JSON_BODY,
        body: JSON.stringify({
          username: context.seeded.user.username,
          password: context.seeded.user.password,
        }),
      };
    case 'refresh': {
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
    }
    case 'client-credentials':
      return {
        method: 'POST',
        path: '/auth/token',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: clientBasic(context.seeded),
        },
        body: 'grant_type=client_credentials',
      };
  }
}
