import type { MigrationInterface, QueryRunner } from 'typeorm';
import { SCHEMA } from '../database/entities';

/**
 * Whether each instance was out of support (ADR 0092) when its execution was created, as the registry's
 * inventory said then. A default, so existing rows read as in support and inserts that omit it still work.
 */
export class InstanceOutOfSupport1760000000007 implements MigrationInterface {
  name = 'InstanceOutOfSupport1760000000007';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE ${SCHEMA}.execution_instance ADD COLUMN IF NOT EXISTS out_of_support boolean NOT NULL DEFAULT false`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ${SCHEMA}.execution_instance DROP COLUMN IF EXISTS out_of_support`);
  }
}
