/**
 * The one shape of "something that runs SQL" the messaging helpers need. A TypeORM EntityManager or
 * QueryRunner (which return result rows as an array) and a node-postgres Client or Pool (which return
 * `{ rows }`) all fit, so callers pass whatever holds their transaction.
 */
export interface SqlExecutor {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
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
