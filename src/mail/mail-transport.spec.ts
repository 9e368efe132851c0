import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTBOX_LEASE_MS } from '../outbox/outbox.worker.js';
import { SMTP_TIMEOUTS, SmtpMailTransport } from './mail-transport.js';

const MAIL = {
  messageId: '<1@example.com>',
  from: 'no-reply@example.com',
  to: 'ada@example.com',
  subject: 'Test',
  text: 'Test',
  html: '<p>Test</p>',
};

describe(SmtpMailTransport.name, () => {
  /** Accepts connections and never says a word, as a hung SMTP server does. */
  let silent: Server;
  const sockets: Socket[] = [];
  let port: number;
  beforeAll(async () => {
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    port = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('gives up on the whole send well within the outbox lease', () => {
    expect(SMTP_TIMEOUTS.sendTimeout).toBeLessThanOrEqual(OUTBOX_LEASE_MS / 2);
    expect(SMTP_TIMEOUTS.connectionTimeout).toBeLessThan(SMTP_TIMEOUTS.sendTimeout);
  });

  it('fails a send to a server that never greets, instead of hanging', async () => {
    const sut = new SmtpMailTransport(`smtp://127.0.0.1:${port}`, {
      ...SMTP_TIMEOUTS,
      greetingTimeout: 60_000,
      socketTimeout: 60_000,
      sendTimeout: 200,
    });

    await expect(sut.send(MAIL)).rejects.toThrow('SMTP did not finish within 200 ms');
    sut.onApplicationShutdown();
  });

  it('fails a send to a server that never greets by the greeting timeout', async () => {
    const sut = new SmtpMailTransport(`smtp://127.0.0.1:${port}`, {
      ...SMTP_TIMEOUTS,
      greetingTimeout: 200,
    });

    await expect(sut.send(MAIL)).rejects.toThrow(/Greeting never received/i);
    sut.onApplicationShutdown();
  });
});
