import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import { Public } from '../common/decorators/public.decorator.js';
import { DependencyUnavailableError } from '../common/errors.js';
import { KeyValueStore } from '../redis/key-value-store.js';
import { InjectKeyValueStore } from '../redis/redis.module.js';

@ApiTags('operations')
@Public()
@SkipThrottle({ default: true })
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    @InjectKeyValueStore() private readonly kv: KeyValueStore,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process serves requests' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: the database and Redis answer (503 when either does not)' })
  async ready(): Promise<HealthCheckResult> {
    try {
      return await this.health.check([
        () => this.database.pingCheck('database', { timeout: 2_000 }),
        () => this.redis(),
      ]);
    } catch (error) {
      throw notReady(error);
    }
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

/** terminus reports a failed check as a 503 whose body lists every dependency: ours names the ones down. */
function notReady(error: unknown): unknown {
  if (!(error instanceof ServiceUnavailableException)) return error;
  const { details } = error.getResponse() as HealthCheckResult;
  const down = Object.keys(details).filter((name) => details[name].status !== 'up');
  return new DependencyUnavailableError(`Not ready: ${down.join(', ')}`, undefined, details);
}
