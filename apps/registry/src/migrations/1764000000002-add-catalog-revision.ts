import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A per-component counter that changes whenever any of its versions does, so that a replica can
 * keep the catalog in memory and check with one indexed read that it is still current (ADR 0036).
 * A trigger bumps it, so no code path (nor a manual SQL fix) can forget to.
 */
export class AddCatalogRevision1764000000002 implements MigrationInterface {
  name = 'AddCatalogRevision1764000000002';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `ALTER TABLE registry.component ADD COLUMN catalog_revision bigint NOT NULL DEFAULT 0`,
    );
    await runner.query(`
      CREATE FUNCTION registry.bump_catalog_revision() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
          UPDATE registry.component SET catalog_revision = catalog_revision + 1 WHERE id = OLD.component_id;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') AND (TG_OP = 'INSERT' OR NEW.component_id IS DISTINCT FROM OLD.component_id) THEN
          UPDATE registry.component SET catalog_revision = catalog_revision + 1 WHERE id = NEW.component_id;
        END IF;
        RETURN NULL;
      END
      $$`);
    await runner.query(`
      CREATE TRIGGER version_bumps_catalog_revision
        AFTER INSERT OR UPDATE OR DELETE ON registry.version
        FOR EACH ROW EXECUTE FUNCTION registry.bump_catalog_revision()`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TRIGGER version_bumps_catalog_revision ON registry.version`);
    await runner.query(`DROP FUNCTION registry.bump_catalog_revision()`);
    await runner.query(`ALTER TABLE registry.component DROP COLUMN catalog_revision`);
  }
}
