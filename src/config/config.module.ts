import { DynamicModule, Global, Inject, Module } from '@nestjs/common';
import type { Config } from './config.js';

export const CONFIG = Symbol('CONFIG');

/** Injects the validated, typed configuration (`Config`). */
export const InjectConfig = () => Inject(CONFIG);

/**
 * The configuration is built from an explicit environment object (see
 * `AppModule.forRoot`) rather than read from `process.env` inside providers, so that two instances with
 * different settings can run in one process (the scale-out tests do).
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: Config): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: CONFIG, useValue: config }],
      exports: [CONFIG],
    };
  }
}
