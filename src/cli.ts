import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createAppLogger } from './logging/app-logger.js';
import { AppModule } from './app.module.js';
import { OAuthClientsService } from './clients/oauth-clients.service.js';
import { Role } from './common/role.enum.js';
import { ConfigError, loadConfig } from './config/config.js';
import { SigningKeysService } from './tokens/signing-keys.service.js';

const USAGE = `usage:
  npm run cli -- keys:rotate
  npm run cli -- clients:create <name> [--roles admin,user]`;

class UsageError extends Error {}

/** Operator commands against the configured database (same environment as the server). */
async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { roles: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const config = loadConfig(process.env);
  // stdout carries the command's result; the log (its security events) goes to stderr.
  const logger = createAppLogger(config.app, {
    destination: pino.destination({ dest: 2, sync: true }),
  });
  const context = await NestFactory.createApplicationContext(AppModule.forRoot(config, logger), {
    logger: ['error', 'fatal'],
  });
  try {
    await run(context, command, rest.join(' ').trim(), values.roles);
  } finally {
    await context.close();
  }
}

async function run(
  context: INestApplicationContext,
  command: string,
  name: string,
  roleList = '',
): Promise<void> {
  switch (command) {
    case 'keys:rotate': {
      const kid = await context.get(SigningKeysService).rotate();
      process.stdout.write(`new active signing key: ${kid}\n`);
      return;
    }
    case 'clients:create': {
      if (!name) throw new UsageError('clients:create needs a name');
      const roles = roleList.split(',').filter(Boolean) as Role[];
      const unknown = roles.filter((role) => !Object.values(Role).includes(role));
      if (unknown.length > 0) throw new UsageError(`unknown role(s): ${unknown.join(', ')}`);
      const { client, secret } = await context.get(OAuthClientsService).create({ name, roles });
      // The secret is printed once, to the operator who asked for it; only its hash is stored.
      process.stdout.write(`client_id=${client.clientId}\nclient_secret=${secret}\n`);
      return;
    }
    default:
      throw new UsageError(`unknown command: ${command}`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) process.stderr.write(`${error.message}\n${USAGE}\n`);
  else if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
  else process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
