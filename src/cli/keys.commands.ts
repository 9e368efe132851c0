import { Command, CommandRunner } from 'nest-commander';
import { SigningKeysService } from '../tokens/signing-keys.service.js';
import { CliContext } from './cli-context.js';
import { printTable } from './output.js';

@Command({
  name: 'keys:rotate',
  description:
    'Make a new signing key active. The previous key keeps verifying the tokens it signed until they expire; every instance picks the new key up within 5 seconds.',
})
export class RotateKeyCommand extends CommandRunner {
  constructor(private readonly cli: CliContext) {
    super();
  }

  async run(): Promise<void> {
    const kid = await this.cli.run((services) => services.get(SigningKeysService).rotate());
    process.stdout.write(`new active signing key: ${kid}\n`);
  }
}

@Command({
  name: 'keys:list',
  description:
    'List the signing keys that may still verify a token, newest first: kid, algorithm, created, active or retired (never key material).',
})
export class ListKeysCommand extends CommandRunner {
  constructor(private readonly cli: CliContext) {
    super();
  }

  async run(): Promise<void> {
    const keys = await this.cli.run((services) => services.get(SigningKeysService).list());
    printTable(
      ['KID', 'ALGORITHM', 'CREATED', 'STATUS', 'VERIFIES_UNTIL'],
      keys.map((key) => [
        key.kid,
        key.algorithm,
        key.createdAt,
        key.retiredAt ? 'retired' : 'active',
        key.expiresAt,
      ]),
    );
  }
}

export const KEY_COMMANDS = [RotateKeyCommand, ListKeysCommand];
