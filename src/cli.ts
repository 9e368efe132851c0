import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { CliModule } from './cli/cli.module.js';
import { describeError } from './cli/cli-context.js';
import { CliLogger } from './cli/cli-logger.js';

/**
 * Operator commands (`npm run cli -- --help`), run with the server's
 * environment. A failure prints its reason on stderr and exits with 1.
 */
function fail(error: unknown): void {
  process.stderr.write(`error: ${describeError(error)}\n`);
  process.exitCode = 1;
}

CommandFactory.run(CliModule.forRoot(process.env), {
  logger: new CliLogger(),
  abortOnError: false,
  serviceErrorHandler: fail,
})
  .catch(fail)
  .finally(() => {
    // Services that failed half-way through starting (a key that cannot be unsealed, a
    // database that refuses) leave connections that nothing can close: end the process.
    if (process.exitCode) process.exit();
  });
