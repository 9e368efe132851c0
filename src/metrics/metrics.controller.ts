import { Controller, Get, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { SkipThrottle } from '@nestjs/throttler';
import { Public } from '../common/decorators/public.decorator.js';
import { MetricsTokenGuard } from './metrics-token.guard.js';
import { MetricsService } from './metrics.service.js';

/** The security scheme of `/metrics` in the OpenAPI document: `METRICS_TOKEN`, not an access token. */
export const METRICS_SECURITY = 'metrics';

/**
 * Registered only when METRICS_TOKEN is set (see MetricsModule). `@Public()`
 * takes it out of the access-token guard; the metrics token guard decides.
 */
@ApiTags('operations')
@ApiBearerAuth(METRICS_SECURITY)
@Public()
@UseGuards(MetricsTokenGuard)
@SkipThrottle({ default: true })
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @ApiOperation({
    summary: 'Prometheus metrics (text exposition format); needs METRICS_TOKEN as the bearer token',
  })
  @ApiProduces('text/plain')
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    const body = await this.metrics.scrape();
    await reply
      .header('content-type', this.metrics.contentType)
      .header('cache-control', 'no-store')
      .send(body);
  }
}
