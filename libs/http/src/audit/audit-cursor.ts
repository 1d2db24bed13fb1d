import type { AuditRecord } from '@upshift/contracts';

/** A position in the newest-first order of audit records: a record's time and id. */
export interface AuditCursor {
  at: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * The opaque `nextCursor` clients pass back as `before`. Both services encode it the same way, so
 * the orchestrator can hand one cursor to its own log and to the registry's when it merges them.
 */
export function cursorOf(record: Pick<AuditRecord, 'at' | 'id'>): string {
  return Buffer.from(`${record.at}|${record.id}`, 'utf8').toString('base64url');
}

/** The position a cursor names, or null when the text is not a cursor this service handed out. */
export function parseCursor(text: string): AuditCursor | null {
  if (text.length > 200) return null;
  const [at, id, ...rest] = Buffer.from(text, 'base64url').toString('utf8').split('|');
  if (rest.length > 0 || at === undefined || id === undefined) return null;
  if (!ISO_MILLIS.test(at) || Number.isNaN(Date.parse(at)) || !UUID.test(id)) return null;
  return { at, id };
}

/** Newest first; records of the same millisecond by id, descending (as Postgres orders uuids). */
export function compareNewestFirst(
  a: Pick<AuditRecord, 'at' | 'id'>,
  b: Pick<AuditRecord, 'at' | 'id'>,
): number {
  if (a.at !== b.at) return a.at < b.at ? 1 : -1;
  return a.id === b.id ? 0 : a.id < b.id ? 1 : -1;
}
