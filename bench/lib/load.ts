import autocannon from 'autocannon';
import type { WaitProfile } from './waits.js';

export interface LoadResult {
  /** 2xx responses per second over the measured time. */
  rps: number;
  /** Latency of 2xx responses, milliseconds (exact, from every response). */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  ok: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  seconds: number;
  connections: number;
  /** Server CPU (all its processes) per 2xx response, milliseconds; filled in by the caller. */
  serverCpuMsPerRequest?: number;
  /** Problems the scenario itself detected (e.g. a refresh token presented twice). */
  problems: string[];
  /** What the requests waited on, and both sides' CPU; filled in by the caller. */
  waits?: WaitProfile;
}

/** One request shape; `dynamic` builds each request's body and reads each response. */
export interface LoadSpec {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  dynamic?: DynamicRequests;
}

export interface DynamicRequests {
  /** The body of the next request on a connection (called once per request). */
  nextBody(): string;
  /** Every response, in order per connection. */
  onResponse(status: number, body: string): void;
  /** Problems found during the run (reported, and they fail it). */
  problems(): string[];
}

const MAX_SAMPLES = 5_000_000;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

/** One closed-loop run of autocannon: `connections` connections, one request in flight on each. */
export function runLoad(
  baseUrl: string,
  spec: LoadSpec,
  seconds: number,
  connections: number,
): Promise<LoadResult> {
  const latencies: number[] = [];
  const dynamic = spec.dynamic;
  const requests: autocannon.Request[] | undefined = dynamic
    ? [
        {
          method: spec.method,
          path: spec.path,
          headers: spec.headers,
          setupRequest: (request) => ({ ...request, body: dynamic.nextBody() }),
          onResponse: (status, body) => dynamic.onResponse(status, body),
        },
      ]
    : undefined;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${baseUrl}${spec.path}`,
        method: spec.method,
        headers: spec.headers,
        body: spec.body,
        requests,
        connections,
        pipelining: 1,
        duration: seconds,
        timeout: 10,
      },
      (error: unknown, result: autocannon.Result) => {
        if (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        const sorted = latencies.sort((a, b) => a - b);
        const statusCodes: Record<string, number> = {};
        for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) {
          statusCodes[code] = stat.count ?? 0;
        }
        resolve({
          rps: result.duration > 0 ? result['2xx'] / result.duration : 0,
          p50: percentile(sorted, 50),
          p90: percentile(sorted, 90),
          p99: percentile(sorted, 99),
          max: sorted.length > 0 ? sorted[sorted.length - 1] : Number.NaN,
          ok: result['2xx'],
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          statusCodes,
          seconds: result.duration,
          connections,
          problems: dynamic?.problems() ?? [],
        });
      },
    );
    instance.on(
      'response',
      (_client: unknown, status: number, _bytes: number, responseTime: number) => {
        if (status >= 200 && status < 300 && latencies.length < MAX_SAMPLES)
          latencies.push(responseTime);
      },
    );
  });
}

/**
 * The refresh scenario's requests: every request presents a token that was
 * never presented before. Each 200 hands back the successor of the token it
 * spent, which goes to the next request of any connection; `heads` (fresh
 * sessions, one per connection) start the chains. A connection's next request
 * is built right after its response is read, so a successor is always there;
 * if none is (a refresh failed), the request carries an unused malformed
 * token, gets a 4xx and fails the run.
 */
export function refreshChains(heads: string[]): DynamicRequests {
  const ready = [...heads];
  const presented = new Set<string>();
  const problems: string[] = [];
  let exhausted = 0;
  let unreadable = 0;
  return {
    nextBody() {
      const token = ready.pop();
      if (token === undefined) {
        exhausted++;
        return JSON.stringify({ refresh_token: 'exhausted' });
      }
      if (presented.has(token)) problems.push('a refresh token was presented twice');
      presented.add(token);
      return `{"refresh_token":"${token}"}`;
    },
    onResponse(status, body) {
      if (status !== 200) return;
      const match = /"refresh_token"\s*:\s*"([A-Za-z0-9_-]+)"/.exec(body);
      if (match) ready.push(match[1]);
      else unreadable++;
    },
    problems() {
      const found = [...new Set(problems)];
      if (exhausted > 0) found.push(`${exhausted} requests found no unused refresh token`);
      if (unreadable > 0) found.push(`${unreadable} refresh responses had no refresh_token`);
      return found;
    },
  };
}
