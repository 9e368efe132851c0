import { durationSeconds, IsDuration, IsWholeNumber, wholeNumber } from './env.js';

/** How long the HTTP server waits for slow or idle clients, how many it holds, and how it stops. */
export interface ServerSettings {
  /** All request headers must arrive within this (ms); else 408 and the socket is closed. */
  headersTimeoutMs: number;
  /** The whole request (headers and body) must arrive within this (ms). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this (ms). */
  keepAliveTimeoutMs: number;
  /** A socket with no traffic either way for this long (ms) is closed. */
  connectionTimeoutMs: number;
  /** Open connections per process; further ones are closed at once. */
  maxConnections: number;
  /** On SIGTERM: in-flight requests get this long (ms) to finish before the process exits non-zero. */
  shutdownTimeoutMs: number;
}

/** Timeouts and limits of the HTTP listener, and the shutdown bound. */
export class ServerEnv {
  @IsDuration(3600)
  HTTP_HEADERS_TIMEOUT?: string;

  @IsDuration(3600)
  HTTP_REQUEST_TIMEOUT?: string;

  @IsDuration(3600)
  HTTP_KEEP_ALIVE_TIMEOUT?: string;

  @IsDuration(3600)
  HTTP_CONNECTION_TIMEOUT?: string;

  @IsWholeNumber(1, 1_000_000)
  HTTP_MAX_CONNECTIONS?: string;

  @IsDuration(3600)
  SHUTDOWN_TIMEOUT?: string;
}

export function serverSettings(env: ServerEnv): ServerSettings {
  const ms = (raw: string | undefined, fallbackSeconds: number) =>
    durationSeconds(raw, fallbackSeconds) * 1000;
  return {
    headersTimeoutMs: ms(env.HTTP_HEADERS_TIMEOUT, 10),
    requestTimeoutMs: ms(env.HTTP_REQUEST_TIMEOUT, 30),
    // Longer than the usual load balancer's idle timeout (60 s), so the balancer closes first.
    keepAliveTimeoutMs: ms(env.HTTP_KEEP_ALIVE_TIMEOUT, 72),
    connectionTimeoutMs: ms(env.HTTP_CONNECTION_TIMEOUT, 60),
    maxConnections: wholeNumber(env.HTTP_MAX_CONNECTIONS, 10_000),
    shutdownTimeoutMs: ms(env.SHUTDOWN_TIMEOUT, 25),
  };
}
