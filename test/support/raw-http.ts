import { Socket } from 'node:net';
import { pollUntil } from './lifecycle.js';

/**
 * A raw TCP connection to the app, for what an HTTP client library will not
 * do: send a request byte by byte, stop halfway, or sit idle. Waiting is by
 * the socket's events with a bounded deadline, never by elapsed time.
 */
export class RawConnection {
  private received = '';
  private trickleTimer: NodeJS.Timeout | undefined;
  private closedBy: 'server' | 'client' | undefined;
  private readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => (this.received += chunk.toString('latin1')));
    // A reset by the server is a close too.
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        clearInterval(this.trickleTimer);
        this.closedBy ??= 'server';
        resolve();
      }),
    );
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = new Socket();
      socket.once('error', reject);
      socket.connect(port, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve(new RawConnection(socket));
      });
    });
  }

  /** Whatever the server sent so far. */
  get response(): string {
    return this.received;
  }

  /** The status code of the first final response, once its status line arrived. */
  get status(): number | undefined {
    const match = /^HTTP\/1\.[01] (\d{3})/.exec(this.finalResponse);
    return match ? Number(match[1]) : undefined;
  }

  /** The body of a complete response (sent with `Connection: close`). */
  get body(): string {
    const response = this.finalResponse;
    return response.slice(response.indexOf('\r\n\r\n') + 4);
  }

  /** What the server sent after any interim (1xx) responses, such as `100 Continue`. */
  private get finalResponse(): string {
    return this.received.replace(/^(?:HTTP\/1\.[01] 1\d\d[^\r]*\r\n(?:[^\r]+\r\n)*\r\n)+/, '');
  }

  /** Resolves once the server has sent `text`; rejects after `timeoutMs` if it has not. */
  async waitFor(text: string, timeoutMs: number): Promise<void> {
    await pollUntil(`"${text.trim()}" from the server`, async () => this.received.includes(text), {
      timeoutMs,
      intervalMs: 10,
    });
  }

  get isOpen(): boolean {
    return this.closedBy === undefined;
  }

  write(text: string): void {
    this.socket.write(text);
  }

  /** Sends `text` one byte every `intervalMs` (then keeps sending spaces) until the socket closes. */
  trickle(text: string, intervalMs: number): void {
    let next = 0;
    this.trickleTimer = setInterval(() => {
      if (this.socket.writable) this.socket.write(next < text.length ? text[next++] : ' ');
    }, intervalMs);
  }

  /** Resolves when the socket has closed; rejects after `timeoutMs` if it has not. */
  async waitForClose(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the connection was still open after ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.closed, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Whether the server closed it (as opposed to `destroy()` here). */
  get closedByServer(): boolean {
    return this.closedBy === 'server';
  }

  destroy(): void {
    this.closedBy ??= 'client';
    clearInterval(this.trickleTimer);
    this.socket.destroy();
  }
}

/** An HTTP/1.1 request with a JSON body (and any `extraHeaders` lines), as the bytes a client sends. */
export function jsonRequest(
  method: string,
  path: string,
  body: unknown,
  extraHeaders: string[] = [],
): string {
  const json = JSON.stringify(body);
  const extra = extraHeaders.map((line) => `${line}\r\n`).join('');
  return (
    `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(json)}\r\n${extra}Connection: close\r\n\r\n${json}`
  );
}
