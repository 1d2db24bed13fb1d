import { setTimeout as sleep } from 'node:timers/promises';
import { eventually } from './environment';

/** What the counter queries with: a pg Client or anything with the same `query`. */
interface Queryable {
  query<R extends Record<string, unknown>>(sql: string): Promise<{ rows: R[] }>;
}

/**
 * Counts a service's audit records for suites that prove "one record per request". Records are written
 * as each response finishes, so a count taken right after a request may still miss it: `settled()`
 * waits until two reads 300 ms apart agree, `grewBy()` until the expected records have landed, and then
 * answers how many did (the caller asserts it is exactly the expected number).
 */
export function auditLogCounter(pg: Queryable, schema: 'registry' | 'orchestrator') {
  const count = async () =>
    Number((await pg.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.audit_log`)).rows[0]?.n);
  return {
    count,
    async settled(): Promise<number> {
      let previous = await count();
      for (;;) {
        await sleep(300);
        const current = await count();
        if (current === previous) return current;
        previous = current;
      }
    },
    async grewBy(since: number, expected: number): Promise<number> {
      await eventually(async () => ((await count()) - since >= expected ? true : undefined), {
        what: `${expected} audit records`,
      });
      return (await count()) - since;
    },
  };
}
