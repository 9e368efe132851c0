import { DynamicModule, Global, Inject, Module } from '@nestjs/common';
import type { Config } from './config.js';

export const CONFIG = Symbol('CONFIG');

/** Injects the validated, typed configuration (`Config`). */
export const InjectConfig = () => Inject(CONFIG);

/**
 * The configuration, for every module: global, as one of only two (with the
 * clock). It is the one `main.ts` or `cli.ts` parsed, handed to
 * `AppModule.forRoot`.
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
