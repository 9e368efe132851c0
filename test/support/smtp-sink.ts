import { randomBytes } from 'node:crypto';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { freePort } from './net.js';

const WAIT_MS = 10_000;
const POLL_MS = 20;

/**
 * A real SMTP server on 127.0.0.1 for the specs (smtp-server), which parses
 * every mail it accepts (mailparser). It asks for the user and password of
 * its `url` (AUTH PLAIN/LOGIN without TLS, loopback only) and can be
 * stopped and started again on the same port (SMTP down, then back).
 */
export class SmtpSink {
  readonly mails: ParsedMail[] = [];
  readonly url: string;
  /**
   * Addresses refused at RCPT TO, with the code to answer: 550 for an
   * address that does not exist (for good), 450 for a mailbox busy now.
   */
  readonly refusedRecipients = new Map<string, 450 | 550>();
  /** The recipients each mail was sent to (the SMTP envelope: who really receives it). */
  private readonly envelopes = new Map<ParsedMail, string[]>();
  private readonly password = randomBytes(12).toString('hex');
  private server: SMTPServer | undefined;

  private constructor(readonly port: number) {
    this.url = `smtp://mailer:${this.password}@127.0.0.1:${port}`;
  }

  static async start(port?: number): Promise<SmtpSink> {
    const sink = new SmtpSink(port ?? (await freePort()));
    await sink.listen();
    return sink;
  }

  /** The password in `url`: a spec checks it never shows up in a log or a metric. */
  get secret(): string {
    return this.password;
  }

  /** The recipients of `mail` in the SMTP envelope, lower case. */
  recipientsOf(mail: ParsedMail): string[] {
    return this.envelopes.get(mail) ?? [];
  }

  mailsTo(to: string): ParsedMail[] {
    const address = to.toLowerCase();
    return this.mails.filter((mail) => this.recipientsOf(mail).includes(address));
  }

  /** Resolves with the first mail to `to` (optionally matching), polling, default timeout 10 s. */
  async waitForMail(
    to: string,
    match: (mail: ParsedMail) => boolean = () => true,
    timeoutMs = WAIT_MS,
  ): Promise<ParsedMail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const mail = this.mailsTo(to).find(match);
      if (mail) return mail;
      if (Date.now() > deadline) throw new Error(`no mail to ${to} arrived within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** SMTP down: the port refuses connections until `restart`. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Up again on the same port, with the mails received so far. */
  async restart(): Promise<void> {
    await this.stop();
    await this.listen();
  }

  private async listen(): Promise<void> {
    const server = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      authMethods: ['PLAIN', 'LOGIN'],
      closeTimeout: 100,
      logger: false,
      onAuth: (auth, _session, callback) =>
        auth.username === 'mailer' && auth.password === this.password
          ? callback(null, { user: auth.username })
          : callback(new Error('Invalid username or password')),
      onRcptTo: (recipient, _session, callback) => {
        const code = this.refusedRecipients.get(recipient.address.toLowerCase());
        if (!code) return callback();
        const text = code === 550 ? '5.1.1 No such user' : '4.2.1 Mailbox busy, try later';
        callback(Object.assign(new Error(text), { responseCode: code }));
      },
      onData: (stream, session, callback) => {
        simpleParser(stream)
          .then((mail) => {
            const recipients = session.envelope.rcptTo.map(({ address }) => address.toLowerCase());
            this.envelopes.set(mail, recipients);
            this.mails.push(mail);
            callback();
          })
          .catch((error: Error) => callback(error));
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    server.on('error', () => undefined);
    this.server = server;
  }
}

/** The first link in the mail's text whose path is `path`, as a URL. */
export function linkIn(mail: ParsedMail, path: string): URL {
  for (const [href] of (mail.text ?? '').matchAll(/https?:\/\/[^\s<>"]+/g)) {
    const url = new URL(href);
    if (url.pathname === path) return url;
  }
  throw new Error(`the mail "${mail.subject}" has no link to ${path}`);
}
