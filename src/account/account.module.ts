import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { AccountTokensService } from './account-tokens.service.js';
import { AccountToken } from './entities/account-token.entity.js';
import { MailLimits } from './mail-limits.js';

/** The account's e-mail: the tokens mails carry, and the limits on sending them. */
@Module({
  imports: [TypeOrmModule.forFeature([AccountToken]), RateLimitModule, MetricsModule, AuditModule],
  providers: [AccountTokensService, MailLimits],
  exports: [AccountTokensService, MailLimits],
})
export class AccountModule {}
