import type { ParsedMail } from 'mailparser';
import { OutboxWorker } from '../../src/outbox/outbox.worker.js';
import { linkIn, SmtpSink } from './smtp-sink.js';
import type { AppHandle } from './test-app.js';

/**
 * The mailbox side of the account e-mail specs: each mail is handed out
 * once, in order of arrival, so a test reads "the next mail to X".
 */
export class Mailbox {
  private readonly taken = new Set<ParsedMail>();

  constructor(
    private readonly t: AppHandle,
    private readonly sink: () => SmtpSink,
  ) {}

  /** Delivers what is due, then waits for the next mail to `to` (matching `subject`, if given). */
  async next(to: string, subject?: string): Promise<ParsedMail> {
    await this.t.app.get(OutboxWorker).deliverDue();
    const mail = await this.sink().waitForMail(
      to,
      (candidate) =>
        !this.taken.has(candidate) && (!subject || (candidate.subject ?? '').includes(subject)),
    );
    this.taken.add(mail);
    return mail;
  }

  /** Mails queued so far, delivered or not: what "no mail" is checked against, without waiting. */
  async queued(): Promise<number> {
    const [row] = await this.t.sql<{ count: string }>(
      `SELECT count(*) AS count FROM outbox_messages WHERE kind = 'mail'`,
    );
    return Number(row.count);
  }
}

/** The token of the link to `path` in a mail. */
export function tokenIn(mail: ParsedMail, path: string): string {
  const token = linkIn(mail, path).searchParams.get('token');
  if (!token) throw new Error(`the link to ${path} has no token`);
  return token;
}

/** The link to `path` in a mail, as a path on the app (the host is PUBLIC_URL's). */
export function pathIn(mail: ParsedMail, path: string): string {
  const url = linkIn(mail, path);
  return `${url.pathname}${url.search}`;
}
