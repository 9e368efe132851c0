import { DependencyUnavailableError } from '../common/errors.js';

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);
// PostgreSQL classes 08 (connection exception) and 57P (operator intervention: shutdown, cannot connect now).
const UNAVAILABLE_SQLSTATE = /^(08|57P0[1-3])/;
// What node-postgres says when the pool cannot reach the server or loses it.
const CONNECTION_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i;

const isConnectionCode = (code: unknown) =>
  typeof code === 'string' && (CONNECTION_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code));

/**
 * The driver's ways of saying that the database cannot be reached or went
 * away (a socket error, a SQLSTATE, TypeORM's wrapper around either), as the
 * app's one "unavailable" error: a retryable 503 rather than a 500. Any other
 * error is returned as it is.
 */
export function databaseUnavailable(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof DependencyUnavailableError) return error;
  const driverCode = (error as { driverError?: { code?: unknown } }).driverError?.code;
  const unavailable =
    isConnectionCode((error as { code?: unknown }).code) ||
    isConnectionCode(driverCode) ||
    CONNECTION_MESSAGE.test(error.message);
  return unavailable ? DependencyUnavailableError.of('The database', error.message) : error;
}
