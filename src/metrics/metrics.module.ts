import { Module } from '@nestjs/common';
import { MetricsService } from './metrics.service.js';

/** The counters and histograms: imported by every module that counts something. */
@Module({
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}
