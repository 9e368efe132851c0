import { DynamicModule, Module } from '@nestjs/common';
import { pino } from 'pino';
import { AccountModule } from '../account/account.module.js';
import { AuditModule } from '../audit/audit.module.js';
import { ClientsModule } from '../clients/clients.module.js';
import { ClockModule } from '../common/clock.js';
import type { Config } from '../config/config.js';
import { ConfigModule } from '../config/config.module.js';
import { DatabaseModule } from '../database/database.module.js';
import { createAppLogger } from '../logging/app-logger.js';
import { MailModule } from '../mail/mail.module.js';
import { LoggingModule } from '../logging/logging.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { UsersModule } from '../users/users.module.js';

/**
 * What a CLI command needs: the feature services the admin endpoints call,
 * on the configured database and Redis. No HTTP, guards, health or metrics,
 * and, with `backgroundJobs` off, none of the server's periodic work.
 */
@Module({})
export class CliServicesModule {
  static forRoot(config: Config): DynamicModule {
    return {
      module: CliServicesModule,
      imports: [
        ConfigModule.forRoot(config),
        ClockModule,
        // stdout carries the command's output: the log goes to stderr.
        LoggingModule.forRoot(
          createAppLogger(config.app, { destination: pino.destination({ dest: 2, sync: true }) }),
        ),
        DatabaseModule.forRoot(config),
        UsersModule,
        AccountModule,
        ClientsModule,
        TokensModule,
        AuditModule,
        MailModule,
      ],
    };
  }
}
