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
