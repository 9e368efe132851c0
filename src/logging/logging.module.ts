import { DynamicModule, Global, Inject, Module } from '@nestjs/common';
import type { AppLogger } from './app-logger.js';

export const APP_LOGGER = Symbol('APP_LOGGER');

/** Injects the app's pino logger (`AppLogger`). */
export const InjectAppLogger = () => Inject(APP_LOGGER);

/**
 * The app's pino logger (`APP_LOGGER`), for every module: global, like the
 * configuration it is built from. `createApp` builds it (and hands Nest
 * nestjs-pino's `Logger` over it); the CLI builds one that writes to stderr.
 */
@Global()
@Module({})
export class LoggingModule {
  static forRoot(logger: AppLogger): DynamicModule {
    return {
      module: LoggingModule,
      providers: [{ provide: APP_LOGGER, useValue: logger }],
      exports: [APP_LOGGER],
    };
  }
}
