/**
 * The event id of a tenant stream (ADR 0084): per-execution sequences do not order events across
 * executions, so the id says where the client stands in each execution it follows, plus a watermark.
 *
 * `<watermark>.<executionId>:<sequence>,…` means: the client has every event up to `sequence` of each
 * listed execution, none of any execution created at or after `watermark` (epoch ms) that is not
 * listed, and wants nothing of the others (older, and either finished and delivered or older than the
 * stream).
 */
export interface TenantCursor {
  watermarkMs: number;
  delivered: Map<string, number>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function formatTenantCursor(cursor: TenantCursor): string {
  const entries = [...cursor.delivered].map(([id, sequence]) => `${id}:${sequence}`);
  return `${cursor.watermarkMs}.${entries.join(',')}`;
}

/** The cursor an id names, or null when it is not one (a stale or foreign id: the client resyncs). */
export function parseTenantCursor(id: string): TenantCursor | null {
  const match = /^(\d{1,15})\.(.*)$/.exec(id);
  if (!match) return null;
  const delivered = new Map<string, number>();
  const list = match[2] ?? '';
  for (const entry of list === '' ? [] : list.split(',')) {
    const [executionId, sequence] = entry.split(':');
    if (executionId === undefined || !UUID.test(executionId) || !/^\d{1,15}$/.test(sequence ?? '')) {
      return null;
    }
    delivered.set(executionId, Number(sequence));
  }
  return { watermarkMs: Number(match[1]), delivered };
}
