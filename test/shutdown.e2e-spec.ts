import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUpTestApp, type Env, realServices, testEnvironment } from './support/app.js';
import { BuiltServer } from './support/built-server.js';
import { newUser, register } from './support/factories.js';
import { pollUntil } from './support/lifecycle.js';
import { canConnect, freePort } from './support/net.js';
import { jsonRequest, RawConnection } from './support/raw-http.js';

/**
 * Issue 9, point 5: SIGTERM on the built server (`node dist/src/main.js`).
 * It stops accepting, lets the requests in flight finish (a sign-in, with
 * its Argon2 verification and its session row), closes its pools and exits
 * 0; one that cannot finish within SHUTDOWN_TIMEOUT makes it exit 1 at that
 * bound. In a cluster the primary passes the signal to its workers.
 *
 * A request is held in flight by sending all of it but its last byte; that
 * byte goes out only once the server has stopped accepting connections.
 */

const EXIT_BOUND_MS = 20_000;
/** Each test boots the built server (and, embedded, its database) in a child process. */
const BOOT_AND_STOP_MS = 150_000;

/** Starts the built server on a fresh environment of its own (removed after the file). */
function useBuiltServer(settings: Env) {
  const handle = { server: undefined as BuiltServer | undefined, port: 0, env: {} as Env };
  beforeAll(async () => {
    handle.port = await freePort();
    handle.env = {
      ...(await testEnvironment()),
      HOST: '127.0.0.1',
      PORT: String(handle.port),
      ...settings,
    };
  });
  afterAll(async () => {
    await handle.server?.stop();
    await cleanUpTestApp(null, handle.env, { ownsData: true });
  });
  return handle;
}

/**
 * A sign-in sent in full but for its last byte, on a connection of its own.
 * It resolves once the server has taken the request in: asked to, Node
 * answers `100 Continue` when it has read the headers and begun the request,
 * so a signal sent afterwards finds the request in flight, never before it.
 */
async function loginInFlight(port: number, username: string, password: string) {
  const request = jsonRequest('POST', '/auth/login', { username, password }, [
    'Expect: 100-continue',
  ]);
  const connection = await RawConnection.open(port);
  connection.write(request.slice(0, -1));
  await connection.waitFor('HTTP/1.1 100 Continue\r\n', 10_000);
  return { connection, finish: () => connection.write(request.slice(-1)) };
}

const stoppedAccepting = (port: number) =>
  pollUntil('the server to stop accepting connections', async () => !(await canConnect(port)), {
    timeoutMs: 10_000,
    intervalMs: 50,
  });

async function expectSignedIn(connection: RawConnection): Promise<void> {
  await connection.waitForClose(10_000);
  expect(connection.status, connection.response).toBe(200);
  expect(JSON.parse(connection.body)).toMatchObject({ token_type: 'Bearer' });
}

/**
 * Starts the built server with `processes` serving, leaves a sign-in in
 * flight, sends SIGTERM, and checks that the server stops accepting, that
 * the sign-in still completes with 200, and that the process exits 0.
 */
async function drainSignInOnSigterm(
  built: ReturnType<typeof useBuiltServer>,
  processes: number,
): Promise<BuiltServer> {
  const server = (built.server = BuiltServer.start(built.env));
  await server.waitUntilListening(processes);
  const http = supertest(`http://127.0.0.1:${built.port}`);
  const user = await register(http, newUser());
  const inFlight = await loginInFlight(built.port, user.username, user.password);

  server.signal('SIGTERM');
  await stoppedAccepting(built.port);
  inFlight.finish();

  await expectSignedIn(inFlight.connection);
  expect(await server.exited(EXIT_BOUND_MS), server.log).toEqual({ code: 0, signal: null });
  return server;
}

describe('SIGTERM on a single process', () => {
  describe('with requests in flight that can finish', () => {
    const built = useBuiltServer({ SHUTDOWN_TIMEOUT: '15' });

    it(
      'stops accepting, completes the sign-in in flight with 200, and exits 0',
      async () => {
        const server = await drainSignInOnSigterm(built, 1);
        expect(server.log).toMatch(/shut down cleanly/);
      },
      BOOT_AND_STOP_MS,
    );
  });

  describe('with a request in flight that never finishes', () => {
    const built = useBuiltServer({ SHUTDOWN_TIMEOUT: '1', HTTP_REQUEST_TIMEOUT: '60' });

    it(
      'exits non-zero once SHUTDOWN_TIMEOUT has passed',
      async () => {
        built.server = BuiltServer.start(built.env);
        await built.server.waitUntilListening(1);
        const stuck = await loginInFlight(built.port, 'nobody', 'never-sent-in-full');

        built.server.signal('SIGTERM');

        expect(await built.server.exited(EXIT_BOUND_MS), built.server.log).toEqual({
          code: 1,
          signal: null,
        });
        expect(built.server.log).toMatch(/SHUTDOWN_TIMEOUT/);
        stuck.connection.destroy();
      },
      BOOT_AND_STOP_MS,
    );
  });
});

// WEB_CONCURRENCY > 1 is refused on the embedded database and in-process stores.
describe.runIf(realServices.databaseUrl && realServices.redisUrl)(
  'SIGTERM on a cluster (WEB_CONCURRENCY=2)',
  () => {
    const built = useBuiltServer({ WEB_CONCURRENCY: '2', SHUTDOWN_TIMEOUT: '15' });

    it(
      'the primary passes it on: the sign-in in flight completes, every worker exits, the primary exits 0',
      async () => {
        const server = await drainSignInOnSigterm(built, 2);
        // Both workers received it from the primary and shut down cleanly.
        expect(server.log.match(/shut down cleanly/g)?.length, server.log).toBe(3);
        await pollUntil('the workers to be gone', async () => !server.groupAlive, {
          timeoutMs: 5_000,
          intervalMs: 50,
        });
      },
      BOOT_AND_STOP_MS,
    );
  },
);
