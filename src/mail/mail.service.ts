import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Config } from '../config/config.js';
import { InjectConfig } from '../config/config.module.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { OutboxService } from '../outbox/outbox.service.js';
import { assertPlainAddress } from './mail-address.js';
import { MAIL_OUTBOX_KIND } from './mail-delivery.js';
import { MailPayloadSealer, type QueuedMail } from './mail-payload.js';
import { type MailData, type MailTemplate, MailTemplates } from './mail-templates.js';

export type { MailData, MailTemplate } from './mail-templates.js';

/**
 * Mails for the account flows: `queue` writes one to the outbox in the
 * caller's transaction (so it exists exactly when what caused it
 * committed), and the outbox worker sends it (`MailDelivery`).
 */
@Injectable()
export class MailService {
  private readonly base: URL;

  constructor(
    @InjectConfig() config: Config,
    private readonly outbox: OutboxService,
    private readonly templates: MailTemplates,
    @Inject(MailPayloadSealer) private readonly sealer: MailPayloadSealer,
    private readonly metrics: MetricsService,
  ) {
    const base = config.mail.publicUrl;
    this.base = new URL(base.endsWith('/') ? base : `${base}/`);
  }

  /** Writes the mail to the outbox through `manager` (the caller's transaction); the worker sends it. */
  async queue(
    to: string,
    template: MailTemplate,
    data: MailData,
    manager?: EntityManager,
  ): Promise<void> {
    assertPlainAddress(to);
    this.templates.check(template, data);
    const id = randomUUID();
    const queued: QueuedMail = { id, template, sealed: this.sealer.seal(id, { to, data }) };
    await this.outbox.enqueue(MAIL_OUTBOX_KIND, { ...queued }, manager);
    this.metrics.mailQueued.inc({ template });
  }

  /** An absolute link under PUBLIC_URL (defaults to JWT_ISSUER), e.g. link('/account/verify-email', { token }). */
  link(path: string, query: Record<string, string>): string {
    const url = path.startsWith('/') ? new URL(path.slice(1), this.base) : undefined;
    // `//host`, `/\\host` or `/../..` would leave PUBLIC_URL: a mail never links elsewhere.
    if (!url || url.origin !== this.base.origin || !url.pathname.startsWith(this.base.pathname)) {
      throw new Error(`a mail link is a path under PUBLIC_URL, starting with "/" (got "${path}")`);
    }
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    return url.href;
  }
}
