import type { MigrationInterface, QueryRunner } from 'typeorm';
import { SCHEMA } from '../database/entities';

/**
 * Versions owed to the registry's inventory (ADR 0033): written in the transaction that settles an
 * instance, deleted once the registry has them, so that no crash or Redis outage between the commit and
 * the registry call loses one. One row per instance: the latest version wins.
 */
export class RegistrySync1760000000002 implements MigrationInterface {
  name = 'RegistrySync1760000000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ${SCHEMA}.registry_sync (
        instance_id  text PRIMARY KEY,
        tenant_id    text NOT NULL,
        execution_id uuid NOT NULL,
        version_id   uuid NOT NULL,
        recorded_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX registry_sync_recorded_at_idx ON ${SCHEMA}.registry_sync (recorded_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ${SCHEMA}.registry_sync`);
  }
}
