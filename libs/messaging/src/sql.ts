/**
 * The one shape of "something that runs SQL" the messaging helpers need. A TypeORM EntityManager or
 * QueryRunner (which return result rows as an array) and a node-postgres Client or Pool (which return
 * `{ rows }`) all fit, so callers pass whatever holds their transaction.
 */
export interface SqlExecutor {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/** Rows of a query result from either TypeORM (`rows[]`) or node-postgres (`{ rows }`). */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  if (result !== null && typeof result === 'object' && Array.isArray((result as { rows?: unknown }).rows)) {
    return (result as { rows: T[] }).rows;
  }
  return [];
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Schema names go into SQL text (identifiers cannot be bound parameters), so only plain lower-case
 * identifiers are accepted; anything else is a programming error, reported before any SQL runs.
 */
export function quoteSchema(schema: string): string {
  if (!IDENTIFIER.test(schema)) {
    throw new Error(
      `invalid schema name ${JSON.stringify(schema)}: use a lower-case SQL identifier such as "orchestrator"`,
    );
  }
  return `"${schema}"`;
}

/** The LISTEN/NOTIFY channel on which `enqueueOutbox` wakes the relay of a schema. */
export function outboxChannel(schema: string): string {
  quoteSchema(schema);
  return `${schema}_outbox`;
}
