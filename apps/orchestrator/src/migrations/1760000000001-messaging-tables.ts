import type { MigrationInterface, QueryRunner } from 'typeorm';
import { dropOutboxTableSql, outboxTableSql } from '@upshift/messaging';
import { SCHEMA } from '../database/entities';

/**
 * The consumer dedupe table as this migration first created it. Its DDL lived in libs/messaging, which
 * no longer has it (ADR 0024, amendment): it is kept here so the migration history still replays.
 * DropProcessedMessages1760000000004 drops the table again.
 */
export const PROCESSED_MESSAGES_SQL = `
CREATE TABLE IF NOT EXISTS ${SCHEMA}.processed_messages (
  message_id text PRIMARY KEY,
  processed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS processed_messages_processed_at_idx ON ${SCHEMA}.processed_messages (processed_at);
`.trim();

/** The transactional outbox and the consumer dedupe table. */
export class MessagingTables1760000000001 implements MigrationInterface {
  name = 'MessagingTables1760000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(outboxTableSql(SCHEMA));
    await q.query(PROCESSED_MESSAGES_SQL);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS ${SCHEMA}.processed_messages`);
    await q.query(dropOutboxTableSql(SCHEMA));
  }
}
