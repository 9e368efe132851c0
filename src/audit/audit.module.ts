import { Module } from '@nestjs/common';
import { OutboxModule } from '../outbox/outbox.module.js';
import { SecurityEventsService } from './security-events.service.js';
import { SecurityWebhook } from './security-webhook.js';

/** Security events: named log lines, the audit trail and alerts. */
@Module({
  imports: [OutboxModule],
  providers: [SecurityEventsService, SecurityWebhook],
  exports: [SecurityEventsService],
})
export class AuditModule {}
