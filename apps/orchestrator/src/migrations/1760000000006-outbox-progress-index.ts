import type { MigrationInterface, QueryRunner } from 'typeorm';
import { Topics } from '@upshift/contracts';
import { SCHEMA } from '../database/entities';

/**
 * The event streams (ADR 0084) read an execution's progress events from the outbox by execution and
 * sequence, published or not: this partial index serves exactly that read. The outbox holds about a
 * day of rows (ADR 0021), so building it inside the migration's transaction is short.
 */
export class OutboxProgressIndex1760000000006 implements MigrationInterface {
  name = 'OutboxProgressIndex1760000000006';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX IF NOT EXISTS outbox_progress_by_execution
         ON ${SCHEMA}.outbox (message_key, ((payload->>'sequence')::bigint))
         WHERE topic = '${Topics.PROGRESS}'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS ${SCHEMA}.outbox_progress_by_execution`);
  }
}
