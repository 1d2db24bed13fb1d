import { randomUUID } from 'crypto';
import type { AuditRecord } from '@upshift/contracts';
import { compareNewestFirst, cursorOf, parseCursor } from './audit-cursor';
import type { AuditCursor } from './audit-cursor';
import type { AuditLogSlice } from './audit-log-sql';
import { auditPageOf } from './audit-query';

function record(at: string, service: AuditRecord['service']): AuditRecord {
  return {
    id: randomUUID(),
    at,
    service,
    action: 'upgrade.cancel',
    method: 'POST',
    path: '/api/v1/registry/upgrades/x/cancel',
    tenantId: 'acme',
    targetId: null,
    sub: 'ops',
    claimedBy: null,
    status: 200,
    requestId: randomUUID(),
    sourceAddress: '127.0.0.1',
  };
}

/** What one service's log answers for a page: its records after the cursor, newest first. */
function sliceOf(log: readonly AuditRecord[], before: AuditCursor | null, limit: number): AuditLogSlice {
  const after = [...log]
    .sort(compareNewestFirst)
    .filter((r) => before === null || compareNewestFirst(r, before) > 0);
  return { items: after.slice(0, limit), hasMore: after.length > limit };
}

describe('audit cursors', () => {
  it('round-trip a record position and refuse anything else', () => {
    const r = record('2026-12-02T04:28:39.123Z', 'registry');
    expect(parseCursor(cursorOf(r))).toEqual({ at: r.at, id: r.id });
    for (const text of [
      '',
      'not-a-cursor',
      Buffer.from('2026-12-02|x').toString('base64url'),
      'x'.repeat(300),
    ]) {
      expect(parseCursor(text)).toBeNull();
    }
    expect(
      parseCursor(Buffer.from(`2026-12-02T04:28:39.123Z|${r.id}|extra`).toString('base64url')),
    ).toBeNull();
  });
});

describe('auditPageOf', () => {
  // Several records share a millisecond, across services too: the id decides their order.
  const times = ['2026-12-01T10:00:00.000Z', '2026-12-01T10:00:00.001Z', '2026-12-01T10:00:00.002Z'];
  const registry = Array.from({ length: 7 }, (_, i) => record(times[i % 3] as string, 'registry'));
  const orchestrator = Array.from({ length: 5 }, (_, i) =>
    record(times[(i + 1) % 3] as string, 'orchestrator'),
  );
  const everything = [...registry, ...orchestrator].sort(compareNewestFirst);

  it.each([1, 2, 3, 5, 12, 50])('pages two logs with limit %i into exactly their merged order', (limit) => {
    const seen: AuditRecord[] = [];
    let before: string | null = null;
    let pages = 0;
    do {
      const cursor = before === null ? null : parseCursor(before);
      const page = auditPageOf(
        [sliceOf(registry, cursor, limit), sliceOf(orchestrator, cursor, limit)],
        limit,
      );
      expect(page.items.length).toBeLessThanOrEqual(limit);
      seen.push(...page.items);
      before = page.nextCursor;
      pages += 1;
    } while (before !== null && pages < 100);
    expect(seen.map((r) => r.id)).toEqual(everything.map((r) => r.id));
    expect(pages).toBe(Math.max(1, Math.ceil(everything.length / limit)));
  });

  it('has no next page when neither log has more', () => {
    expect(auditPageOf([{ items: [], hasMore: false }], 50)).toEqual({ items: [], nextCursor: null });
    const one = record(times[0] as string, 'registry');
    expect(auditPageOf([{ items: [one], hasMore: false }], 1)).toEqual({ items: [one], nextCursor: null });
    expect(auditPageOf([{ items: [one], hasMore: true }], 1).nextCursor).toBe(cursorOf(one));
  });
});
