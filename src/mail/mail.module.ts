import { Module } from '@nestjs/common';
import { PRODUCT_NAME } from '../common/product.js';
import {
  KEY_ENCRYPTION_SECRET,
  keyEncryptionSecretProvider,
} from '../config/key-encryption-secret.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { OutboxModule } from '../outbox/outbox.module.js';
import { MailDelivery } from './mail-delivery.js';
import { MailPayloadSealer } from './mail-payload.js';
import { MailTemplates } from './mail-templates.js';
import { mailTransportProvider } from './mail-transport.js';
import { MailService } from './mail.service.js';

/**
 * E-mail (docs/email.md): `MailService.queue` in the caller's transaction,
 * `MailDelivery` sending through SMTP (or the log, in development) as the
 * outbox handler of kind `mail`.
 */
@Module({
  imports: [OutboxModule, MetricsModule],
  providers: [
    keyEncryptionSecretProvider,
    {
      provide: MailPayloadSealer,
      inject: [KEY_ENCRYPTION_SECRET],
      useFactory: (secret: string) => new MailPayloadSealer(secret),
    },
    { provide: MailTemplates, useValue: new MailTemplates(PRODUCT_NAME) },
    mailTransportProvider,
    MailDelivery,
    MailService,
  ],
  exports: [MailService, MailDelivery],
})
export class MailModule {}
