import type { MigrationInterface, QueryRunner } from 'typeorm';
import { SCHEMA } from '../database/entities';
import { PROCESSED_MESSAGES_SQL } from './1760000000001-messaging-tables';

/**
 * Drops the consumer dedupe table no consumer writes: results are deduplicated by their pending
 * commandId (ADR 0042), so the generic idempotent consumer and its table went (ADR 0024, amendment).
 */
export class DropProcessedMessages1760000000004 implements MigrationInterface {
  name = 'DropProcessedMessages1760000000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS ${SCHEMA}.processed_messages`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(PROCESSED_MESSAGES_SQL);
  }
}
