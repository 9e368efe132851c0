import { createHash } from 'node:crypto';
import type { AuditEvent } from './entities/audit-event.entity.js';

/** The `prevHash` of the first row of a chain that has no checkpoint. */
export const GENESIS_HASH = '0'.repeat(64);

/** What a row's hash covers: everything but its place in the chain (`seq`) and its own hash. */
export type ChainedContent = Omit<AuditEvent, 'seq' | 'prevHash' | 'hash'>;

/** Where the chain ends (or, for a checkpoint, where it starts). */
export interface ChainLink {
  seq: string;
  hash: string;
}

/**
 * One canonical text for a row's content: a JSON array in a fixed order,
 * with the keys of `details` sorted at every level, so the same content
 * always gives the same bytes whatever order PostgreSQL returns jsonb keys in.
 */
export function canonicalContent(row: ChainedContent): string {
  return JSON.stringify([
    'audit-v1',
    row.id,
    row.occurredAt.toISOString(),
    row.actorType,
    row.actorId,
    row.subjectType,
    row.subjectId,
    row.action,
    row.outcome,
    row.reason,
    row.ip,
    row.userAgent,
    row.requestId,
    sortKeys(row.details),
  ]);
}

/** SHA-256 (hex) over the previous row's hash and this row's canonical content. */
export function chainHash(row: ChainedContent, prevHash: string): string {
  return createHash('sha256')
    .update(`${prevHash}\n${canonicalContent(row)}`)
    .digest('hex');
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}
