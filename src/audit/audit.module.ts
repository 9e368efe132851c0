import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { keyEncryptionSecretProvider } from '../config/key-encryption-secret.js';
import { ActivityController } from './activity.controller.js';
import { AdminAuditController } from './admin-audit.controller.js';
import { AuditCheckpointSigner } from './audit-checkpoint-signer.js';
import { AuditEventsRepository } from './audit-events.repository.js';
import { AuditExporter } from './audit-exporter.service.js';
import { AuditRetentionService } from './audit-retention.service.js';
import { AuditSealer } from './audit-sealer.service.js';
import { AuditTrailService } from './audit-trail.service.js';
import { AuditVerifier } from './audit-verifier.service.js';
import { AuditCheckpoint } from './entities/audit-checkpoint.entity.js';
import { AuditEvent } from './entities/audit-event.entity.js';
import { SecurityEventsService } from './security-events.service.js';

/**
 * Security events: named log lines, the audit trail (appended rows, the
 * background sealer, verification, export, retention) and alerts. Depends
 * on configuration and the database only, so any feature module may import it.
 */
@Module({
  imports: [TypeOrmModule.forFeature([AuditEvent, AuditCheckpoint])],
  controllers: [AdminAuditController, ActivityController],
  providers: [
    keyEncryptionSecretProvider,
    SecurityEventsService,
    AuditTrailService,
    AuditEventsRepository,
    AuditCheckpointSigner,
    AuditSealer,
    AuditRetentionService,
    AuditVerifier,
    AuditExporter,
  ],
  exports: [SecurityEventsService, AuditSealer, AuditVerifier, AuditExporter],
})
export class AuditModule {}
