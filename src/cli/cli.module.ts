import { DynamicModule, Injectable, Module, OnApplicationBootstrap } from '@nestjs/common';
import { InjectCommander } from 'nest-commander';
import type { Environment } from '../config/config.js';
import { AUDIT_COMMANDS } from './audit.commands.js';
import { CLI_ENVIRONMENT, CliContext } from './cli-context.js';
import { NewPasswordQuestions } from './cli-input.js';
import { CLIENT_COMMANDS } from './clients.commands.js';
import { KEY_COMMANDS } from './keys.commands.js';
import { MAIL_COMMANDS } from './mail.commands.js';
import { USER_COMMANDS } from './users.commands.js';

/** The parts of commander's program (nest-commander builds it from the commands) set here. */
interface Program {
  name(name: string): unknown;
  description(text: string): unknown;
  addHelpText(position: 'after', text: string): unknown;
  showHelpAfterError(message: string): unknown;
  allowExcessArguments(allow: boolean): unknown;
  readonly commands: readonly Program[];
}

/** How every command parses: named as run through npm, no silently ignored extra arguments. */
@Injectable()
class CliProgram implements OnApplicationBootstrap {
  constructor(@InjectCommander() private readonly program: Program) {}

  onApplicationBootstrap(): void {
    this.program.name('npm run cli --');
    this.program.description(
      "Operator commands. Run with the server's environment: they work on its database and Redis.",
    );
    this.program.addHelpText(
      'after',
      '\nExit status: 0 when the command did its job, 1 when it failed (the reason is on stderr).',
    );
    for (const command of [this.program, ...this.program.commands]) {
      command.showHelpAfterError('(add --help for usage)');
      command.allowExcessArguments(false);
    }
  }
}

/** The CLI's commands (nest-commander); the services they call are booted by `CliContext`. */
@Module({})
export class CliModule {
  static forRoot(env: Environment): DynamicModule {
    return {
      module: CliModule,
      providers: [
        { provide: CLI_ENVIRONMENT, useValue: env },
        CliContext,
        CliProgram,
        NewPasswordQuestions,
        ...USER_COMMANDS,
        ...CLIENT_COMMANDS,
        ...KEY_COMMANDS,
        ...AUDIT_COMMANDS,
        ...MAIL_COMMANDS,
      ],
    };
  }
}
