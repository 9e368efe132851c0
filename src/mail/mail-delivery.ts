import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { PRODUCT_NAME } from '../common/product.js';
import type { Config } from '../config/config.js';
import { InjectConfig } from '../config/config.module.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { type OutboxHandler, UndeliverableError } from '../outbox/outbox-handler.js';
import { OutboxService } from '../outbox/outbox.service.js';
import { assertPlainAddress } from './mail-address.js';
import { MailPayloadSealer, type QueuedMail } from './mail-payload.js';
import { type MailData, type MailTemplate, MailTemplates } from './mail-templates.js';
import { MailTransport } from './mail-transport.js';

/** The outbox kind of queued mails. */
export const MAIL_OUTBOX_KIND = 'mail';

/**
 * Sends mails: the outbox handler of queued ones (opens the sealed payload,
 * renders, hands it to the transport; a failure is retried by the worker
 * with backoff), and `sendNow` for the CLI's test mail.
 */
@Injectable()
export class MailDelivery implements OutboxHandler, OnModuleInit {
  readonly kind = MAIL_OUTBOX_KIND;
  /** The payload holds a sealed link with a token: once sent, nothing of it is kept. */
  readonly scrubDelivered = true;
  private readonly logger = new Logger('Mail');
  private readonly from: string;
  private readonly host: string;

  constructor(
    @InjectConfig() config: Config,
    private readonly outbox: OutboxService,
    private readonly transport: MailTransport,
    private readonly templates: MailTemplates,
    @Inject(MailPayloadSealer) private readonly sealer: MailPayloadSealer,
    private readonly metrics: MetricsService,
  ) {
    this.host = new URL(config.mail.publicUrl).hostname;
    this.from = config.mail.from ?? `"${PRODUCT_NAME}" <no-reply@${this.host}>`;
  }

  onModuleInit(): void {
    this.outbox.register(this);
  }

  /**
   * One attempt at a queued mail; the outbox worker retries it when this
   * throws, unless the recipient's address was refused for good.
   */
  async deliver(payload: Record<string, unknown>): Promise<void> {
    const queued = payload as unknown as QueuedMail;
    try {
      const { to, data } = this.sealer.open(queued);
      await this.send(queued.id, to, queued.template, data);
    } catch (error) {
      this.metrics.mailFailures.inc({ template: queued.template });
      if (!(error instanceof UndeliverableError)) {
        this.metrics.mailRetries.inc({ template: queued.template });
      }
      throw error;
    }
  }

  /** Renders and sends at once, outside the outbox (no retry): the CLI's `mail:test`. */
  async sendNow(to: string, template: MailTemplate, data: MailData = {}): Promise<void> {
    assertPlainAddress(to);
    this.templates.check(template, data);
    try {
      await this.send(randomUUID(), to, template, data);
    } catch (error) {
      this.metrics.mailFailures.inc({ template });
      throw error;
    }
  }

  private async send(id: string, to: string, template: MailTemplate, data: MailData) {
    const messageId = `<${id}@${this.host}>`;
    const rendered = this.templates.render(template, data);
    await this.transport.send({ messageId, from: this.from, to, ...rendered });
    this.metrics.mailSent.inc({ template });
    this.logger.log({ event: 'mail.sent', template, messageId });
  }
}
