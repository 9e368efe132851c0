import {
  HttpException,
  Inject,
  Injectable,
  INestApplicationContext,
  OnApplicationShutdown,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ValidationFailedException } from '../common/errors.js';
import { type RequestContext, runInRequestContext } from '../common/request-context.js';
import { type Config, type Environment, loadConfig } from '../config/config.js';
import { CliLogger } from './cli-logger.js';
import { CliServicesModule } from './cli-services.module.js';

/** The environment the CLI was started with (the server's: same database, Redis, secrets). */
export const CLI_ENVIRONMENT = Symbol('CLI_ENVIRONMENT');

/** Who the services record as the actor of everything a command does. */
const CLI_REQUEST: RequestContext = {
  requestId: null,
  ip: null,
  userAgent: null,
  actor: { type: 'cli' },
};

/** A command refused for a reason of the CLI's own (the services' errors are reported as they are). */
export class CliError extends Error {}

/**
 * The app's services for the command being run. They are booted on first
 * use, not at start, so `--help` and usage errors need neither a valid
 * configuration nor a database (nor take the embedded database's lock).
 */
@Injectable()
export class CliContext implements OnApplicationShutdown {
  private services: Promise<INestApplicationContext> | undefined;

  constructor(@Inject(CLI_ENVIRONMENT) private readonly env: Environment) {}

  /** Runs `work` with the services, as the actor `cli`, so the events it causes name the CLI. */
  run<T>(work: (services: INestApplicationContext) => Promise<T>): Promise<T> {
    return runInRequestContext(CLI_REQUEST, async () => work(await this.boot()));
  }

  async onApplicationShutdown(): Promise<void> {
    const services = await this.services?.catch(() => undefined);
    await services?.close();
  }

  private boot(): Promise<INestApplicationContext> {
    this.services ??= NestFactory.createApplicationContext(
      CliServicesModule.forRoot(cliConfig(loadConfig(this.env))),
      { logger: new CliLogger(), abortOnError: false },
    );
    return this.services;
  }
}

/**
 * The server's configuration as the CLI runs it: none of the server's
 * background jobs, and a log of errors only (a command's events are in the
 * audit trail; stdout is for its output).
 */
function cliConfig(config: Config): Config {
  return { ...config, app: { ...config.app, logLevel: 'error' }, backgroundJobs: false };
}

/** What the operator reads when a command fails: the rule that refused it, never a stack trace. */
export function describeError(error: unknown): string {
  if (error instanceof ValidationFailedException) {
    const fields = error.fieldErrors.map(
      ({ field, messages }) => `  ${field}: ${messages.join('; ')}`,
    );
    return ['invalid input:', ...fields].join('\n');
  }
  if (error instanceof HttpException || error instanceof Error) return error.message;
  return String(error);
}
