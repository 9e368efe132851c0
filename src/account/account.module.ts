import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module.js';
import { MailModule } from '../mail/mail.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { PagesModule } from '../pages/pages.module.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { UsersModule } from '../users/users.module.js';
import { AccountEmailController } from './account-email.controller.js';
import { AccountPagesController } from './account-pages.controller.js';
import { AccountTokensService } from './account-tokens.service.js';
import { EmailChangeService } from './email-change.service.js';
import { EmailVerificationService } from './email-verification.service.js';
import { AccountToken } from './entities/account-token.entity.js';
import { MailLimits } from './mail-limits.js';

/**
 * The account's e-mail (docs/account-email.md): the tokens mails carry, the
 * limits on sending them, verification and e-mail change, their API and
 * the pages their links open. It builds on `UsersModule` and attaches to its
 * `AccountEmailHooks`, so that registration and sign-in reach it.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([AccountToken]),
    UsersModule,
    MailModule,
    PagesModule,
    RateLimitModule,
    MetricsModule,
    AuditModule,
  ],
  controllers: [AccountEmailController, AccountPagesController],
  providers: [AccountTokensService, MailLimits, EmailVerificationService, EmailChangeService],
  exports: [AccountTokensService, MailLimits],
})
export class AccountModule {}
