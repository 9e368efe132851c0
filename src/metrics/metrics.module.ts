import { DynamicModule, Global, Module } from '@nestjs/common';
import type { Config } from '../config/config.js';
import { MetricsListener } from './metrics-listener.js';
import { MetricsTokenGuard } from './metrics-token.guard.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

/**
 * Metrics are always counted, but served only where configured: on the main
 * port to METRICS_TOKEN, and on the management listener (METRICS_PORT). With
 * neither, no route exists, so `/metrics` is a 404 like any unknown path and
 * the OpenAPI document does not list it.
 */
@Global()
@Module({})
export class MetricsModule {
  static forRoot(config: Config): DynamicModule {
    const servedHere = config.metrics.token !== undefined;
    return {
      module: MetricsModule,
      controllers: servedHere ? [MetricsController] : [],
      providers: [MetricsService, MetricsListener, ...(servedHere ? [MetricsTokenGuard] : [])],
      exports: [MetricsService],
    };
  }
}
