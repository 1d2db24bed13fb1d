import { outboxLeaderLockName } from './outbox-leadership';
import { quoteSchema } from './sql';

/**
 * DDL of the transactional outbox, for each app's migration. The relay reads unpublished rows in id
 * order through the partial index, so the cost of a poll does not grow with the published history.
 */
export function outboxTableSql(schema: string): string {
  const s = quoteSchema(schema);
  return `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.outbox (
  id bigserial PRIMARY KEY,
  topic text NOT NULL,
  message_key text NOT NULL,
  headers jsonb NOT NULL DEFAULT '{}'::jsonb,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz NULL
);
CREATE INDEX IF NOT EXISTS outbox_unpublished_idx ON ${s}.outbox (id) WHERE published_at IS NULL;
CREATE INDEX IF NOT EXISTS outbox_published_at_idx ON ${s}.outbox (published_at) WHERE published_at IS NOT NULL;
`.trim();
}

export function dropOutboxTableSql(schema: string): string {
  return `DROP TABLE IF EXISTS ${quoteSchema(schema)}.outbox;`;
}

/**
 * For readiness (ADR 0078): the age of the oldest unpublished row in ms (0 when none), and whether any
 * session of this database holds the schema's relay leadership lock (ADR 0021). A bigint advisory key
 * shows in pg_locks as classid (high 32 bits), objid (low 32 bits) and objsubid 1.
 */
export function outboxStatusQuery(schema: string): { text: string; values: string[] } {
  const s = quoteSchema(schema);
  return {
    text: `
WITH k AS (SELECT hashtextextended($1, 0) AS key)
SELECT
  (SELECT coalesce(extract(epoch FROM clock_timestamp() - min(created_at)) * 1000, 0)::float8
     FROM ${s}.outbox WHERE published_at IS NULL) AS oldest_pending_ms,
  EXISTS (
    SELECT 1 FROM pg_locks l, k
     WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND l.classid = ((k.key >> 32) & 4294967295)::oid AND l.objid = (k.key & 4294967295)::oid
  ) AS leader_held`.trim(),
    values: [outboxLeaderLockName(schema)],
  };
}

/**
 * For the metrics (docs/adr/0086-metrics-endpoints.md): how many rows wait to be published, and the
 * age in seconds of the first of them in id order (0 when none) — through the partial index of
 * unpublished rows, so its cost follows the backlog, not the published history. Any replica may ask;
 * only the leader's relay measures its own lag.
 */
export function outboxBacklogQuery(schema: string): string {
  const s = quoteSchema(schema);
  return `
SELECT
  (SELECT count(*) FROM ${s}.outbox WHERE published_at IS NULL)::float8 AS pending,
  coalesce((SELECT extract(epoch FROM clock_timestamp() - created_at)
              FROM ${s}.outbox WHERE published_at IS NULL ORDER BY id LIMIT 1), 0)::float8 AS oldest_age_seconds`.trim();
}
