import { DynamicModule, Module } from '@nestjs/common';
import type { Config } from '../config/config.js';
import { MetricsListener } from './metrics-listener.js';
import { MetricsTokenGuard } from './metrics-token.guard.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsModule } from './metrics.module.js';

/**
 * Where metrics are served: on the main port to METRICS_TOKEN, and on the
 * management listener (METRICS_PORT). With neither, no route exists, so
 * `/metrics` is a 404 like any unknown path and the OpenAPI document does not
 * list it.
 */
@Module({})
export class MetricsEndpointModule {
  static forRoot(config: Config): DynamicModule {
    const servedHere = config.metrics.token !== undefined;
    return {
      module: MetricsEndpointModule,
      imports: [MetricsModule],
      controllers: servedHere ? [MetricsController] : [],
      providers: [MetricsListener, ...(servedHere ? [MetricsTokenGuard] : [])],
    };
  }
}
