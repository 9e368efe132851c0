import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { MetricsModule } from '../metrics/metrics.module.js';
import { RedisModule } from '../redis/redis.module.js';
import { DependencyProbes } from './dependency-probes.js';
import { HealthController } from './health.controller.js';

/** Liveness and readiness, and the connection gauges of `/metrics`. */
@Module({
  imports: [TerminusModule.forRoot({ logger: false }), RedisModule, MetricsModule],
  controllers: [HealthController],
  providers: [DependencyProbes],
})
export class HealthModule {}
