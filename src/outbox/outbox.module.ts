import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MetricsModule } from '../metrics/metrics.module.js';
import { OutboxMessage } from './outbox-message.entity.js';
import { OutboxMessagesRepository } from './outbox-messages.repository.js';
import { OutboxService } from './outbox.service.js';
import { OutboxWorker } from './outbox.worker.js';

/**
 * The transactional outbox: `OutboxService.enqueue` in the caller's
 * transaction, `OutboxWorker` delivering through the registered handlers.
 */
@Module({
  imports: [TypeOrmModule.forFeature([OutboxMessage]), MetricsModule],
  providers: [OutboxMessagesRepository, OutboxService, OutboxWorker],
  exports: [OutboxService, OutboxWorker],
})
export class OutboxModule {}
