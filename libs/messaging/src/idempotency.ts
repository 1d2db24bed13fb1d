import { quoteSchema, rowsOf } from './sql';
import type { SqlExecutor } from './sql';

/**
 * Records that the message with this envelope id was processed, in the caller's transaction.
 * Returns false when it had been processed before: the caller then skips the work, which makes
 * at-least-once delivery effectively once. If the caller's transaction rolls back, so does the mark.
 */
export async function markProcessed(
  manager: SqlExecutor,
  schema: string,
  messageId: string,
): Promise<boolean> {
  const result = await manager.query(
    `INSERT INTO ${quoteSchema(schema)}.processed_messages (message_id) VALUES ($1)
     ON CONFLICT (message_id) DO NOTHING RETURNING message_id`,
    [messageId],
  );
  return rowsOf(result).length === 1;
}

/**
 * Forgets ids processed longer ago than `olderThanMs`. Keep this well above the longest time a
 * message can be redelivered (consumer-group rebalances, relay retries): hours, not seconds.
 */
export async function pruneProcessedMessages(
  manager: SqlExecutor,
  schema: string,
  olderThanMs: number,
): Promise<number> {
  const result = await manager.query(
    `WITH gone AS (
       DELETE FROM ${quoteSchema(schema)}.processed_messages
       WHERE processed_at < now() - make_interval(secs => $1::double precision / 1000)
       RETURNING 1)
     SELECT count(*)::int AS n FROM gone`,
    [olderThanMs],
  );
  return rowsOf<{ n: number }>(result)[0]?.n ?? 0;
}
