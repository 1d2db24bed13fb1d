import { dropOutboxTableSql, outboxTableSql } from '@upshift/messaging';
import { MigrationInterface, QueryRunner } from 'typeorm';

/** The transactional outbox for registry.events, in the shape libs/messaging's relay reads. */
export class CreateRegistryOutbox1764000000001 implements MigrationInterface {
  name = 'CreateRegistryOutbox1764000000001';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(outboxTableSql('registry'));
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(dropOutboxTableSql('registry'));
  }
}
