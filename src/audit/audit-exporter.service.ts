import { Injectable } from '@nestjs/common';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { AuditEventsRepository, AuditFilter } from './audit-events.repository.js';
import { toAuditEventResponse } from './dto/audit-event-response.dto.js';

const BATCH = 1_000;

/** Filters of an export; every part optional (`from` inclusive, `to` exclusive). */
export type AuditExportFilter = AuditFilter;

/** Writes the audit trail out, for archives and SIEMs. */
@Injectable()
export class AuditExporter {
  constructor(private readonly events: AuditEventsRepository) {}

  /**
   * Writes each matching row, oldest first (by id), as one JSON line
   * (`AuditEventResponseDto`: sealed rows carry `seq`, `prevHash` and `hash`), waiting
   * whenever `output` asks to. Resolves to the number of lines written.
   */
  async exportJsonLines(output: Writable, filter: AuditExportFilter = {}): Promise<number> {
    let written = 0;
    for (let rows = await this.events.findAfterId(filter, '0', BATCH); rows.length > 0;) {
      for (const row of rows) {
        if (!output.write(`${JSON.stringify(toAuditEventResponse(row))}\n`))
          await once(output, 'drain');
        written += 1;
      }
      rows = await this.events.findAfterId(filter, rows[rows.length - 1].id, BATCH);
    }
    return written;
  }
}
