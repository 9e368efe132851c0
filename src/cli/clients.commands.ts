import { Command, CommandRunner, Option } from 'nest-commander';
import { CreateClientDto } from '../clients/dto/create-client.dto.js';
import { OAuthClientsService } from '../clients/oauth-clients.service.js';
import { CliContext } from './cli-context.js';
import { commaList, validated } from './cli-input.js';
import { printable, printRecord, printTable } from './output.js';

@Command({
  name: 'clients:create',
  arguments: '<name>',
  description:
    'Register a service client for the client-credentials grant. Prints its client_id and its secret, which is shown only this once.',
  argsDescription: { name: 'what the service is, e.g. billing-service' },
})
export class CreateClientCommand extends CommandRunner {
  constructor(private readonly cli: CliContext) {
    super();
  }

  async run([name]: string[], options: { roles?: string }): Promise<void> {
    const dto = await validated(CreateClientDto, {
      name,
      ...(options.roles === undefined ? {} : { roles: commaList(options.roles) }),
    });
    const { client, secret } = await this.cli.run((services) =>
      services.get(OAuthClientsService).create(dto),
    );
    // The secret goes to the operator who asked for it, once; only its hash is stored.
    printRecord({
      client_id: client.clientId,
      client_secret: secret,
      name: client.name,
      roles: client.roles.join(','),
    });
    process.stderr.write('Store client_secret now: it is not shown again.\n');
  }

  @Option({
    flags: '--roles <roles>',
    description: "roles carried by the client's tokens, comma-separated (none by default)",
  })
  parseRoles(value: string): string {
    return value;
  }
}

@Command({ name: 'clients:list', description: 'List service clients (never their secrets).' })
export class ListClientsCommand extends CommandRunner {
  constructor(private readonly cli: CliContext) {
    super();
  }

  async run(): Promise<void> {
    const clients = await this.cli.run((services) => services.get(OAuthClientsService).list());
    printTable(
      ['CLIENT_ID', 'NAME', 'ROLES', 'DISABLED', 'CREATED'],
      clients.map((client) => [
        client.clientId,
        client.name,
        client.roles.join(',') || '-',
        client.disabled,
        client.createdAt,
      ]),
    );
  }
}

@Command({
  name: 'clients:delete',
  arguments: '<client_id>',
  description: 'Delete a service client; it can no longer obtain tokens.',
  argsDescription: { client_id: 'the client id, svc_…' },
})
export class DeleteClientCommand extends CommandRunner {
  constructor(private readonly cli: CliContext) {
    super();
  }

  async run([clientId]: string[]): Promise<void> {
    await this.cli.run((services) => services.get(OAuthClientsService).delete(clientId));
    process.stdout.write(`deleted client ${printable(clientId)}\n`);
  }
}

export const CLIENT_COMMANDS = [CreateClientCommand, ListClientsCommand, DeleteClientCommand];
