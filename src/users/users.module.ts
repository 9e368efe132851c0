import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { AccountEmailHooks } from './account-email-hooks.js';
import { AdminBootstrapService } from './admin-bootstrap.service.js';
import { AdminUsersController } from './admin-users.controller.js';
import { AdminSessionsController } from './admin-sessions.controller.js';
import { AdminUsersService } from './admin-users.service.js';
import { User } from './entities/user.entity.js';
import { PasswordHasher } from './password-hasher.service.js';
import { PasswordSignInService } from './password-sign-in.service.js';
import { UserAccountService } from './user-account.service.js';
import { UsersController } from './users.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([User]),
    AuditModule,
    TokensModule,
    RateLimitModule,
    MetricsModule,
  ],
  controllers: [UsersController, AdminUsersController, AdminSessionsController],
  providers: [
    UsersRepository,
    UsersService,
    PasswordHasher,
    PasswordSignInService,
    AdminUsersService,
    UserAccountService,
    AdminBootstrapService,
    AccountEmailHooks,
  ],
  exports: [UsersService, PasswordSignInService, UserAccountService, AccountEmailHooks],
})
export class UsersModule {}
