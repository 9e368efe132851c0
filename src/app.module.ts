import { DynamicModule, Module } from '@nestjs/common';
import { AccountModule } from './account/account.module.js';
import { PasswordResetModule } from './account/password-reset.module.js';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { ClockModule } from './common/clock.js';
import type { Config } from './config/config.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { type AppLogger, createAppLogger } from './logging/app-logger.js';
import { MailModule } from './mail/mail.module.js';
import { LoggingModule } from './logging/logging.module.js';
import { MetricsEndpointModule } from './metrics/metrics-endpoint.module.js';
import { PagesModule } from './pages/pages.module.js';

/**
 * The app for one configuration. The configuration is passed in, never read
 * from `process.env` inside a module, so two instances with different
 * settings can run in one process (the scale-out tests do). `AuthModule`
 * brings the features in: users, tokens, clients, rate limits.
 */
@Module({})
export class AppModule {
  static forRoot(config: Config, logger: AppLogger = createAppLogger(config.app)): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ClockModule,
        LoggingModule.forRoot(logger),
        DatabaseModule.forRoot(config),
        HealthModule,
        MetricsEndpointModule.forRoot(config),
        AuditModule,
        AuthModule,
        AccountModule,
        MailModule,
        PasswordResetModule,
        PagesModule,
      ],
    };
  }
}
