import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpSink } from '../../test/support/smtp-sink.js';
import { UndeliverableError } from '../outbox/outbox-handler.js';
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

describe(`${SmtpMailTransport.name} against an SMTP server`, () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await SmtpSink.start();
  });
  afterAll(async () => {
    await sink.stop();
  });

  it('sends a mail with its Message-ID', async () => {
    const sut = new SmtpMailTransport(sink.url);

    await sut.send({ ...MAIL, to: 'sent@example.com' });

    expect((await sink.waitForMail('sent@example.com')).messageId).toBe(MAIL.messageId);
  });

  it('calls an address refused for good (5xx to RCPT TO) undeliverable', async () => {
    sink.refusedRecipients.set('gone@example.com', 550);

    const sent = new SmtpMailTransport(sink.url).send({ ...MAIL, to: 'gone@example.com' });

    await expect(sent).rejects.toBeInstanceOf(UndeliverableError);
    await expect(sent).rejects.toThrow('550');
  });

  it.each([
    ['a busy mailbox (4xx to RCPT TO)', () => sink.url, 'busy@example.com'],
    ['a refused login', () => sink.url.replace(sink.secret, 'wrong'), 'ada@example.com'],
  ])('leaves %s to be retried', async (_, url, to) => {
    sink.refusedRecipients.set('busy@example.com', 450);

    const sent = new SmtpMailTransport(url()).send({ ...MAIL, to });

    await expect(sent).rejects.toThrow();
    await expect(sent).rejects.not.toBeInstanceOf(UndeliverableError);
  });
});
