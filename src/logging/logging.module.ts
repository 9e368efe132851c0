import { DynamicModule, Global, Inject, Module } from '@nestjs/common';
import { Logger as NestLogger } from 'nestjs-pino';
import type { Config } from '../config/config.js';
import { type AppLoggerOptions, createAppLogger, nestLoggerFor } from './app-logger.js';

export const APP_LOGGER = Symbol('APP_LOGGER');

/** Injects the app's pino logger (`AppLogger`). */
export const InjectAppLogger = () => Inject(APP_LOGGER);

/**
 * The app's logger, for every module: global, like the configuration it is
 * built from. Provides the pino logger (`APP_LOGGER`) and nestjs-pino's
 * `Logger` over it, which `createApp` hands to Nest (`app.useLogger`).
 */
@Global()
@Module({})
export class LoggingModule {
  static forRoot(config: Config, options: AppLoggerOptions = {}): DynamicModule {
    return {
      module: LoggingModule,
      providers: [
        { provide: APP_LOGGER, useFactory: () => createAppLogger(config.app, options) },
        { provide: NestLogger, useFactory: nestLoggerFor, inject: [APP_LOGGER] },
      ],
      exports: [APP_LOGGER, NestLogger],
    };
  }
}
