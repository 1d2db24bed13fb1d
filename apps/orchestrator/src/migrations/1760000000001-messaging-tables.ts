import type { MigrationInterface, QueryRunner } from 'typeorm';
import {
  dropOutboxTableSql,
  dropProcessedMessagesTableSql,
  outboxTableSql,
  processedMessagesTableSql,
} from '@upshift/messaging';
import { SCHEMA } from '../database/entities';

/** The transactional outbox and the consumer dedupe table, in messaging's shared DDL. */
export class MessagingTables1760000000001 implements MigrationInterface {
  name = 'MessagingTables1760000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(outboxTableSql(SCHEMA));
    await q.query(processedMessagesTableSql(SCHEMA));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(dropProcessedMessagesTableSql(SCHEMA));
    await q.query(dropOutboxTableSql(SCHEMA));
  }
}
