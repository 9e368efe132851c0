import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { keyEncryptionSecretProvider } from '../config/key-encryption-secret.js';
import { MailModule } from '../mail/mail.module.js';
import { OutboxModule } from '../outbox/outbox.module.js';
import { PagesModule } from '../pages/pages.module.js';
import { SsoModule } from '../sso/sso.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { UsersModule } from '../users/users.module.js';
import { AccountModule } from './account.module.js';
import { PasswordResetPagesController } from './password-reset-pages.controller.js';
import { PasswordResetRequests } from './password-reset-requests.js';
import { PasswordResetController } from './password-reset.controller.js';
import { PasswordResetService } from './password-reset.service.js';

/**
 * Forgotten passwords (docs/password-reset.md): the API routes, the hosted
 * forgot-password and reset-password pages, the outbox handler that turns a
 * request into a mail, and the reset itself.
 */
@Module({
  imports: [
    AccountModule,
    UsersModule,
    TokensModule,
    SsoModule,
    MailModule,
    OutboxModule,
    PagesModule,
    AuditModule,
  ],
  controllers: [PasswordResetController, PasswordResetPagesController],
  providers: [keyEncryptionSecretProvider, PasswordResetRequests, PasswordResetService],
})
export class PasswordResetModule {}
