import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { Command, CommandRunner, Option } from 'nest-commander';
import { AuditExporter } from '../audit/audit-exporter.service.js';
import { AuditVerifier } from '../audit/audit-verifier.service.js';
import {
  ListAuditEventsQueryDto,
  toAuditFilter,
} from '../audit/dto/list-audit-events-query.dto.js';
import { CliContext, CliError } from './cli-context.js';
import { validated } from './cli-input.js';
import { printRecord } from './output.js';

@Command({
  name: 'audit:verify',
  description:
    'Check the audit chain from its start (the signed checkpoint, or the first row) to its head. Names the first row that was altered, removed or inserted, and then exits 1.',
})
export class VerifyAuditCommand extends CommandRunner {
  constructor(private readonly cli: CliContext) {
    super();
  }

  async run(): Promise<void> {
    const result = await this.cli.run((services) => services.get(AuditVerifier).verify());
    printRecord({
      status: result.ok ? 'intact' : 'broken',
      checked: String(result.checked),
      pending: String(result.pending),
      checkpoint_seq: result.checkpoint?.seq ?? null,
      head_seq: result.head?.seq ?? null,
      head_hash: result.head?.hash ?? null,
      ...(result.break
        ? { break: result.break.kind, break_id: result.break.id, break_seq: result.break.seq }
        : {}),
    });
    if (result.break) throw new CliError(`audit chain broken: ${result.break.message}`);
  }
}

interface ExportOptions {
  output?: string;
  subjectType?: string;
  subject?: string;
  actor?: string;
  action?: string;
  from?: string;
  to?: string;
}

@Command({
  name: 'audit:export',
  description:
    'Write the audit trail, oldest first, as JSON lines (one event per line, sealed rows with seq, prevHash and hash) to stdout or a new file.',
})
export class ExportAuditCommand extends CommandRunner {
  constructor(private readonly cli: CliContext) {
    super();
  }

  async run(_: string[], { output, ...filters }: ExportOptions): Promise<void> {
    const filter = toAuditFilter(await validated(ListAuditEventsQueryDto, filters));
    const written = await this.cli.run(async (services) => {
      const exporter = services.get(AuditExporter);
      if (output === undefined) return exporter.exportJsonLines(process.stdout, filter);
      return writeNewFile(output, (file) => exporter.exportJsonLines(file, filter));
    });
    process.stderr.write(`exported ${written} events${output ? ` to ${output}` : ''}\n`);
  }

  @Option({
    flags: '--output <file>',
    description: 'write to this new file (readable by its owner only) instead of stdout',
  })
  parseOutput(value: string): string {
    return value;
  }

  @Option({
    flags: '--subject-type <type>',
    description: 'only events about a user, client, key or session',
  })
  parseSubjectType(value: string): string {
    return value;
  }

  @Option({
    flags: '--subject <id>',
    description: 'only events about this user, client, key or session id',
  })
  parseSubject(value: string): string {
    return value;
  }

  @Option({ flags: '--actor <id>', description: 'only events by this user or client id' })
  parseActor(value: string): string {
    return value;
  }

  @Option({ flags: '--action <name>', description: 'only this action, e.g. admin.user.updated' })
  parseAction(value: string): string {
    return value;
  }

  @Option({ flags: '--from <time>', description: 'only events at or after this ISO 8601 time' })
  parseFrom(value: string): string {
    return value;
  }

  @Option({ flags: '--to <time>', description: 'only events before this ISO 8601 time' })
  parseTo(value: string): string {
    return value;
  }
}

/**
 * Runs `write` on a file that must not exist yet (an export never replaces
 * another), readable by its owner only: the trail holds IP addresses. A
 * failed export leaves no partial file behind.
 */
async function writeNewFile(
  path: string,
  write: (file: Writable) => Promise<number>,
): Promise<number> {
  const file = createWriteStream(path, { flags: 'wx', mode: 0o600 });
  try {
    await once(file, 'open');
  } catch (error) {
    throw new CliError(`cannot create ${path}: ${(error as Error).message}`);
  }
  try {
    const written = await write(file);
    file.end();
    await once(file, 'close');
    return written;
  } catch (error) {
    file.destroy();
    await unlink(path).catch(() => undefined);
    throw error;
  }
}

export const AUDIT_COMMANDS = [VerifyAuditCommand, ExportAuditCommand];
