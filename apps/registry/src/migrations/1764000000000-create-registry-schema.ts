import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The registry's catalog and inventory. Written by hand (not generated) so that the SQL is reviewed;
 * the migrations e2e test checks that the entities describe exactly this schema.
 */
export class CreateRegistrySchema1764000000000 implements MigrationInterface {
  name = 'CreateRegistrySchema1764000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE SCHEMA IF NOT EXISTS registry`);
    await runner.query(`
      CREATE TABLE registry.component (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name varchar(64) NOT NULL,
        kind varchar(64) NOT NULL,
        description text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT component_name_key UNIQUE (name)
      )`);
    await runner.query(`
      CREATE TABLE registry.signing_key (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        component_id uuid NOT NULL
          CONSTRAINT signing_key_component_id_fkey REFERENCES registry.component (id) ON DELETE CASCADE,
        public_key_pem text NOT NULL,
        fingerprint char(64) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(
      `CREATE UNIQUE INDEX signing_key_component_fingerprint_key ON registry.signing_key (component_id, fingerprint)`,
    );
    await runner.query(`
      CREATE TABLE registry.version (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        component_id uuid NOT NULL
          CONSTRAINT version_component_id_fkey REFERENCES registry.component (id) ON DELETE CASCADE,
        version varchar(128) NOT NULL,
        major integer NOT NULL,
        minor integer NOT NULL,
        patch integer NOT NULL,
        prerelease varchar(128),
        channel varchar(8) NOT NULL CONSTRAINT version_channel_check CHECK (channel IN ('stable', 'beta', 'dev')),
        status varchar(16) NOT NULL
          CONSTRAINT version_status_check CHECK (status IN ('draft', 'published', 'deprecated', 'yanked')),
        artifact_url text NOT NULL,
        artifact_sha256 char(64) NOT NULL,
        artifact_signature text,
        signed boolean NOT NULL DEFAULT false,
        signing_key_id uuid
          CONSTRAINT version_signing_key_id_fkey REFERENCES registry.signing_key (id) ON DELETE SET NULL,
        breaking boolean NOT NULL DEFAULT false,
        requires_migration boolean NOT NULL DEFAULT false,
        mandatory boolean NOT NULL DEFAULT false,
        downgrade_allowed boolean NOT NULL DEFAULT false,
        dependencies jsonb NOT NULL DEFAULT '{}'::jsonb,
        release_notes text NOT NULL DEFAULT '',
        supported_until date,
        published_at timestamptz,
        deprecated_at timestamptz,
        yanked_at timestamptz,
        yank_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(
      `CREATE UNIQUE INDEX version_component_version_key ON registry.version (component_id, version)`,
    );
    await runner.query(
      `CREATE INDEX version_component_order_idx ON registry.version (component_id, major, minor, patch)`,
    );
    await runner.query(`
      CREATE TABLE registry.instance (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id varchar(64) NOT NULL,
        component_id uuid NOT NULL
          CONSTRAINT instance_component_id_fkey REFERENCES registry.component (id) ON DELETE CASCADE,
        version_id uuid NOT NULL
          CONSTRAINT instance_version_id_fkey REFERENCES registry.version (id) ON DELETE RESTRICT,
        name varchar(128) NOT NULL,
        agent_url text NOT NULL,
        labels jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(
      `CREATE UNIQUE INDEX instance_tenant_component_name_key ON registry.instance (tenant_id, component_id, name)`,
    );
    await runner.query(`CREATE INDEX instance_version_idx ON registry.instance (version_id)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE registry.instance`);
    await runner.query(`DROP TABLE registry.version`);
    await runner.query(`DROP TABLE registry.signing_key`);
    await runner.query(`DROP TABLE registry.component`);
  }
}
