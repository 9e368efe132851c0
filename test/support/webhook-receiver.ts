import { createHmac, timingSafeEqual } from 'node:crypto';
import http, { type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { freePort } from './net.js';

export interface ReceivedCall {
  headers: IncomingHttpHeaders;
  /** The raw body, as the signature covers it. */
  body: string;
}

/**
 * A webhook receiver on a loopback port: records every call and answers
 * `status`; with `hold`, keeps calls open until `release`. It can be stopped
 * and started again on the same port (a receiver that is down, then back).
 */
export class WebhookReceiver {
  readonly calls: ReceivedCall[] = [];
  status = 204;
  hold = false;
  private held: ServerResponse[] = [];
  private server: http.Server | undefined;

  private constructor(readonly port: number) {}

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(await freePort());
    await receiver.listen();
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/security`;
  }

  async listen(): Promise<void> {
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.calls.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        if (this.hold) this.held.push(response);
        else response.writeHead(this.status).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  /** Answers the held calls with `status`. */
  release(status = this.status): void {
    this.hold = false;
    for (const response of this.held.splice(0)) response.writeHead(status).end();
  }

  async stop(): Promise<void> {
    this.release();
    const server = this.server;
    this.server = undefined;
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

/**
 * What a receiver does with `X-Signature: t=<seconds>,v1=<hex>`, as
 * docs/operations.md shows it: recompute HMAC-SHA256 over "<t>.<raw body>",
 * compare in constant time, refuse timestamps more than `toleranceSeconds`
 * away from `nowSeconds` (replays).
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | undefined,
  rawBody: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const parts = new Map(
    (header ?? '').split(',').map((part) => part.split('=', 2) as [string, string]),
  );
  const timestamp = Number(parts.get('t'));
  const received = Buffer.from(parts.get('v1') ?? '', 'hex');
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > toleranceSeconds) {
    return false;
  }
  const expected = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest();
  return received.length === expected.length && timingSafeEqual(received, expected);
}
