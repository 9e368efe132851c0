import { Command, CommandRunner, InquirerService, Option } from 'nest-commander';
import { Role } from '../common/role.enum.js';
import { AdminUsersService } from '../users/admin-users.service.js';
import { AdminUpdateUserDto } from '../users/dto/admin-update-user.dto.js';
import { RegisterUserDto } from '../users/dto/register-user.dto.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { CliContext, CliError } from './cli-context.js';
import {
  commaList,
  NEW_PASSWORD_QUESTIONS,
  readPasswordFromStdin,
  validated,
} from './cli-input.js';
import { printable, printUser } from './output.js';

const USER_ARGUMENT = { user: 'the user: their id, username or email' };

@Command({
  name: 'users:create',
  arguments: '<username> <email>',
  description:
    'Create an account. The password is asked for in a terminal, or read from standard input with --password-stdin; never from the command line.',
  argsDescription: {
    username: '3 to 32 characters: a-z, 0-9, ".", "_", "-"',
    email: 'the email address',
  },
})
export class CreateUserCommand extends CommandRunner {
  constructor(
    private readonly cli: CliContext,
    private readonly inquirer: InquirerService,
  ) {
    super();
  }

  async run(
    [username, email]: string[],
    options: { passwordStdin?: boolean; admin?: boolean },
  ): Promise<void> {
    const password = options.passwordStdin ? await readPasswordFromStdin() : await this.ask();
    const dto = await validated(RegisterUserDto, { username, email, password });
    const roles = options.admin ? [Role.Admin, Role.User] : [Role.User];
    printUser(await this.cli.run((services) => services.get(UsersService).register(dto, roles)));
  }

  @Option({
    flags: '--password-stdin',
    description: 'read the password from standard input (one line) instead of asking for it',
  })
  parsePasswordStdin(): boolean {
    return true;
  }

  @Option({ flags: '--admin', description: 'give the account the admin role as well as user' })
  parseAdmin(): boolean {
    return true;
  }

  private async ask(): Promise<string> {
    if (!process.stdin.isTTY) {
      throw new CliError(
        'no password: pipe it to standard input with --password-stdin, or run in a terminal to be asked for it',
      );
    }
    const answers = await this.inquirer.ask<{ password: string; repeated: string }>(
      NEW_PASSWORD_QUESTIONS,
      undefined,
    );
    if (answers.password !== answers.repeated) throw new CliError('the passwords differ');
    return answers.password;
  }
}

/** Applies an admin change (roles, disabled) to the user named by id, username or email. */
async function updateUser(
  cli: CliContext,
  reference: string,
  dto: AdminUpdateUserDto,
): Promise<User> {
  return cli.run(async (services) => {
    const admin = services.get(AdminUsersService);
    const user = await admin.find(reference);
    return admin.update(user.id, dto);
  });
}

@Command({
  name: 'users:set-roles',
  arguments: '<user> <roles>',
  description:
    "Replace a user's roles; every account keeps the user role. Their current access tokens stop working; the last active admin cannot be demoted.",
  argsDescription: { ...USER_ARGUMENT, roles: 'comma-separated: admin,user or user' },
})
export class SetUserRolesCommand extends CommandRunner {
  constructor(private readonly cli: CliContext) {
    super();
  }

  async run([reference, roles]: string[]): Promise<void> {
    const dto = await validated(AdminUpdateUserDto, { roles: commaList(roles) });
    printUser(await updateUser(this.cli, reference, dto));
  }
}

@Command({
  name: 'users:disable',
  arguments: '<user>',
  description:
    'Disable a user: they cannot sign in, their sessions end and their access tokens stop working. The last active admin cannot be disabled.',
  argsDescription: USER_ARGUMENT,
})
export class DisableUserCommand extends CommandRunner {
  constructor(private readonly cli: CliContext) {
    super();
  }

  async run([reference]: string[]): Promise<void> {
    printUser(await updateUser(this.cli, reference, { disabled: true }));
  }
}

@Command({
  name: 'users:enable',
  arguments: '<user>',
  description: 'Enable a disabled user: they can sign in again.',
  argsDescription: USER_ARGUMENT,
})
export class EnableUserCommand extends CommandRunner {
  constructor(private readonly cli: CliContext) {
    super();
  }

  async run([reference]: string[]): Promise<void> {
    printUser(await updateUser(this.cli, reference, { disabled: false }));
  }
}

@Command({
  name: 'users:revoke-sessions',
  arguments: '<user>',
  description:
    'End every session of a user (sign them out everywhere); their access tokens stop working at once.',
  argsDescription: USER_ARGUMENT,
})
export class RevokeUserSessionsCommand extends CommandRunner {
  constructor(private readonly cli: CliContext) {
    super();
  }

  async run([reference]: string[]): Promise<void> {
    const user = await this.cli.run(async (services) => {
      const admin = services.get(AdminUsersService);
      const found = await admin.find(reference);
      await admin.revokeSessions(found.id);
      return found;
    });
    process.stdout.write(`ended every session of ${printable(user.username)} (${user.id})\n`);
  }
}

@Command({
  name: 'users:set-email',
  arguments: '<user> <email>',
  description:
    "Set a user's e-mail address. It is unverified unless --verified is given; no mail is sent.",
  argsDescription: { ...USER_ARGUMENT, email: 'the new address' },
})
export class SetUserEmailCommand extends CommandRunner {
  constructor(private readonly cli: CliContext) {
    super();
  }

  async run([reference, email]: string[], options: { verified?: boolean }): Promise<void> {
    const dto = await validated(AdminUpdateUserDto, {
      email,
      emailVerified: options.verified === true,
    });
    printUser(await updateUser(this.cli, reference, dto));
  }

  @Option({ flags: '--verified', description: 'mark the address verified' })
  parseVerified(): boolean {
    return true;
  }
}

@Command({
  name: 'users:verify-email',
  arguments: '<user>',
  description: "Mark a user's current e-mail address verified (as if they had followed the link).",
  argsDescription: USER_ARGUMENT,
})
export class VerifyUserEmailCommand extends CommandRunner {
  constructor(private readonly cli: CliContext) {
    super();
  }

  async run([reference]: string[]): Promise<void> {
    printUser(await updateUser(this.cli, reference, { emailVerified: true }));
  }
}

export const USER_COMMANDS = [
  CreateUserCommand,
  SetUserRolesCommand,
  DisableUserCommand,
  EnableUserCommand,
  RevokeUserSessionsCommand,
  SetUserEmailCommand,
  VerifyUserEmailCommand,
];
