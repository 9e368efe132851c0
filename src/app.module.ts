import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from './auth/auth.module.js';
import { ClockModule } from './common/clock.js';
import type { Config } from './config/config.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
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
  static forRoot(config: Config): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ClockModule,
        DatabaseModule.forRoot(config),
        HealthModule,
        MetricsEndpointModule.forRoot(config),
        AuthModule,
        PagesModule,
      ],
    };
  }
}
