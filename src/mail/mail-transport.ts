import { Logger, type FactoryProvider, type OnApplicationShutdown } from '@nestjs/common';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { UndeliverableError } from '../outbox/outbox-handler.js';
import type { RenderedMail } from './mail-templates.js';

/** A rendered mail with its envelope. */
export interface OutgoingMail extends RenderedMail {
  /** `<id@host>`: the same on every attempt, so a receiver can drop a repeated delivery. */
  messageId: string;
  from: string;
  to: string;
}

/**
 * SMTP gives up on a silent or slow server well within the outbox lease
 * (60 s), so that no other instance claims the mail while this one still
 * sends it: each step has its bound, and the whole send has one.
 */
export const SMTP_TIMEOUTS = {
  connectionTimeout: 10_000,
  greetingTimeout: 10_000,
  socketTimeout: 20_000,
  /** The whole send, however the steps add up. */
  sendTimeout: 30_000,
};

/** Hands a mail over for delivery; throws when it must be tried again later. */
export abstract class MailTransport {
  abstract send(mail: OutgoingMail): Promise<void>;
}

/**
 * SMTP_URL through nodemailer, one connection per mail (account mail is
 * rare; no pool to keep alive or to break when the server restarts). The
 * message never reads a file or a URL, whatever its content says.
 */
export class SmtpMailTransport extends MailTransport implements OnApplicationShutdown {
  private readonly transporter: Transporter;
  private readonly sendTimeout: number;

  constructor(url: string, { sendTimeout, ...timeouts } = SMTP_TIMEOUTS) {
    super();
    this.sendTimeout = sendTimeout;
    this.transporter = nodemailer.createTransport({
      url,
      ...timeouts,
      disableFileAccess: true,
      disableUrlAccess: true,
    });
  }

  async send(mail: OutgoingMail): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`SMTP did not finish within ${this.sendTimeout} ms`)),
        this.sendTimeout,
      );
    });
    const sent = this.transporter.sendMail({
      messageId: mail.messageId,
      from: mail.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
    });
    try {
      await Promise.race([sent, timeout]);
    } catch (error) {
      throw recipientRejected(error) ? new UndeliverableError((error as Error).message) : error;
    } finally {
      clearTimeout(timer);
      sent.catch(() => undefined);
    }
  }

  onApplicationShutdown(): void {
    this.transporter.close();
  }
}

/**
 * The recipient's address was refused for good (a 5xx answer to RCPT TO,
 * such as 550 no such user): no retry can help. A refused login or sender,
 * or a 4xx, is the relay's problem or a passing one, and is retried.
 */
function recipientRejected(error: unknown): boolean {
  const smtp = error as { code?: string; command?: string; responseCode?: number };
  return smtp.code === 'EENVELOPE' && smtp.command === 'RCPT TO' && (smtp.responseCode ?? 0) >= 500;
}

/**
 * Without SMTP_URL (development): the whole mail, links included, as one
 * log line `mail.logged`, so that a newcomer can follow the link. Production
 * refuses to start without SMTP_URL, so this never logs a real user's link.
 */
export class LogMailTransport extends MailTransport {
  private readonly logger = new Logger('Mail');

  send(mail: OutgoingMail): Promise<void> {
    const { messageId, from, to, subject, text } = mail;
    this.logger.log({ event: 'mail.logged', messageId, from, to, subject, text });
    return Promise.resolve();
  }
}

export const mailTransportProvider: FactoryProvider<MailTransport> = {
  provide: MailTransport,
  inject: [CONFIG],
  useFactory: (config: Config) =>
    config.mail.smtpUrl ? new SmtpMailTransport(config.mail.smtpUrl) : new LogMailTransport(),
};
