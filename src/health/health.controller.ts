import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import { Public } from '../common/decorators/public.decorator.js';
import { KeyValueStore } from '../redis/key-value-store.js';
import { KEY_VALUE_STORE } from '../redis/redis.module.js';

@ApiTags('operations')
@Public()
@SkipThrottle({ default: true })
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    @Inject(KEY_VALUE_STORE) private readonly kv: KeyValueStore,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process serves requests' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: the database and Redis answer (503 when either does not)' })
  ready() {
    return this.health.check([
      () => this.database.pingCheck('database', { timeout: 2_000 }),
      () => this.redis(),
    ]);
  }

  private async redis() {
    const indicator = this.indicators.check('redis');
    try {
      await this.kv.ping();
      return indicator.up({ mode: this.kv.mode });
    } catch {
      return indicator.down({ mode: this.kv.mode, message: 'Redis does not answer' });
    }
  }
}
