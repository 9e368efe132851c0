import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { newUser } from './support/factories.js';
import { pollUntil } from './support/lifecycle.js';
import { RawConnection } from './support/raw-http.js';
import { type AppHandle, useTestApp } from './support/test-app.js';

/**
 * Issue 9, point 5: a client that sends its headers or its body byte by
 * byte, or holds a connection open and idle, is cut off by the server's
 * timeouts (HTTP_HEADERS_TIMEOUT, HTTP_REQUEST_TIMEOUT,
 * HTTP_KEEP_ALIVE_TIMEOUT), and many of them cannot keep others out; past
 * HTTP_MAX_CONNECTIONS a connection is closed at once. Raw sockets against
 * the app listening on a port, with small timeouts; each wait ends on the
 * socket's close event within a bounded deadline.
 */

/** Long enough for any of the small timeouts below to cut a connection, with room for a busy machine. */
const CLOSE_DEADLINE_MS = 15_000;
const BYTE_EVERY_MS = 100;

const HEADERS = 'GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ' + 'a'.repeat(10_000);
const login = JSON.stringify(newUser());
const SLOW_BODY =
  'POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
  `Content-Length: 100000\r\n\r\n`;

function useListeningApp(env: Record<string, string>): { t: AppHandle; port: () => number } {
  const t = useTestApp({ env });
  let port = 0;
  beforeAll(async () => {
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  return { t, port: () => port };
}

async function trickling(port: number, text: string): Promise<RawConnection> {
  const connection = await RawConnection.open(port);
  connection.trickle(text, BYTE_EVERY_MS);
  return connection;
}

describe('slow and idle clients are cut off', () => {
  const { t, port } = useListeningApp({
    HTTP_HEADERS_TIMEOUT: '1',
    HTTP_REQUEST_TIMEOUT: '2',
    HTTP_KEEP_ALIVE_TIMEOUT: '1',
    HTTP_CONNECTION_TIMEOUT: '30',
  });

  it('closes a connection whose headers arrive byte by byte, with a 408 problem', async () => {
    const slow = await trickling(port(), HEADERS);

    await slow.waitForClose(CLOSE_DEADLINE_MS);

    expect(slow.closedByServer).toBe(true);
    expect(slow.status, slow.response).toBe(408);
    expect(slow.response).toMatch(/application\/problem\+json/);
  });

  it('closes a connection whose body arrives byte by byte', async () => {
    const slow = await trickling(port(), SLOW_BODY + login);

    await slow.waitForClose(CLOSE_DEADLINE_MS);

    expect(slow.closedByServer).toBe(true);
    // Never a sign-in: the request was cut before its body was complete.
    expect(slow.status, slow.response).toBe(408);
  });

  it('closes a connection that never sends a byte', async () => {
    const idle = await RawConnection.open(port());

    await idle.waitForClose(CLOSE_DEADLINE_MS);

    expect(idle.closedByServer).toBe(true);
  });

  it('closes a kept-alive connection that stays idle after its response', async () => {
    const idle = await RawConnection.open(port());
    idle.write('GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');

    await idle.waitForClose(CLOSE_DEADLINE_MS);

    expect(idle.status, idle.response).toBe(200);
    expect(idle.closedByServer).toBe(true);
  });

  it('serves normal requests while a hundred slow clients hold connections, and cuts every one of those', async () => {
    const slow = await Promise.all(
      Array.from({ length: 100 }, (_, i) => trickling(port(), i % 2 ? HEADERS : SLOW_BODY)),
    );

    const response = await t.http.get('/health/ready');
    expect(response.status, response.text).toBe(200);
    expect(slow.every((connection) => connection.isOpen)).toBe(true);

    await Promise.all(slow.map((connection) => connection.waitForClose(CLOSE_DEADLINE_MS)));
    expect(slow.every((connection) => connection.closedByServer)).toBe(true);
  });
});

describe('HTTP_MAX_CONNECTIONS', () => {
  const { t, port } = useListeningApp({
    HTTP_MAX_CONNECTIONS: '5',
    // Longer than Node's own default request timeout (5 min), which they must replace.
    HTTP_HEADERS_TIMEOUT: '10m',
    HTTP_REQUEST_TIMEOUT: '20m',
  });

  it('closes a connection past the cap at once, keeps the others, and serves again once they are gone', async () => {
    const held = await Promise.all(Array.from({ length: 5 }, () => RawConnection.open(port())));

    const extra = await RawConnection.open(port());
    // Far sooner than any timeout of this app could close it.
    await extra.waitForClose(CLOSE_DEADLINE_MS);
    expect(extra.closedByServer).toBe(true);
    expect(held.every((connection) => connection.isOpen)).toBe(true);

    for (const connection of held) connection.destroy();
    await pollUntil(
      'a request to be served once the held connections are closed',
      async () => (await t.http.get('/health/live')).status === 200,
      { timeoutMs: 10_000, intervalMs: 100 },
    );
  });
});
