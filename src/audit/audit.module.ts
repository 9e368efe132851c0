import { Module } from '@nestjs/common';
import { SecurityEventsService } from './security-events.service.js';

/** Security events: named log lines, the audit trail and alerts. */
@Module({
  providers: [SecurityEventsService],
  exports: [SecurityEventsService],
})
export class AuditModule {}
