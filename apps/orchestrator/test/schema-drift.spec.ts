import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { createTestDatabase } from '@upshift/testing';
import type { TestDatabase } from '@upshift/testing';
import { dataSourceOptions, runMigrations } from '../src/database/data-source';
import { SCHEMA } from '../src/database/entities';

/** How Postgres itself describes the entities' tables: columns, indexes and constraints, sorted. */
async function describeTables(dataSource: DataSource): Promise<Record<string, string[]>> {
  const tables = dataSource.entityMetadatas.map((metadata) => metadata.tableName);
  const lines = async (sql: string): Promise<string[]> =>
    (await dataSource.query<{ line: string }[]>(sql, [SCHEMA, tables])).map((row) => row.line).sort();
  return {
    // TypeORM writes a bigint column's number default as a string literal ('0'::bigint for 0).
    columns: await lines(
      `SELECT concat_ws(' ', table_name, column_name, data_type, is_nullable,
                        regexp_replace(column_default, '^''(-?[0-9]+)''::bigint$', '\\1')) AS line
         FROM information_schema.columns WHERE table_schema = $1 AND table_name = ANY($2)`,
    ),
    // Primary keys by definition only: TypeORM names its own, the migrations let Postgres name them.
    indexes: await lines(
      `SELECT concat_ws(' ', c.relname, CASE WHEN i.indisprimary THEN 'PRIMARY KEY' ELSE ic.relname END,
                        regexp_replace(pg_get_indexdef(i.indexrelid), '^.* USING ', '')) AS line
         FROM pg_index i
         JOIN pg_class c ON c.oid = i.indrelid
         JOIN pg_class ic ON ic.oid = i.indexrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname = ANY($2)`,
    ),
    constraints: await lines(
      `SELECT concat_ws(' ', c.relname, k.conname, pg_get_constraintdef(k.oid)) AS line
         FROM pg_constraint k
         JOIN pg_class c ON c.oid = k.conrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname = ANY($2) AND k.contype <> 'p'`,
    ),
  };
}

/**
 * The entities and the migrations describe the same schema. An entity edited without its migration
 * (or the reverse) fails here instead of at the first query that touches the column.
 */
describe('orchestrator schema drift (PostgreSQL)', () => {
  let migrated: TestDatabase;
  let synchronized: TestDatabase;
  let fromMigrations: DataSource;
  let fromEntities: DataSource;

  beforeAll(async () => {
    migrated = await createTestDatabase('orchestrator_schema_drift');
    fromMigrations = new DataSource(dataSourceOptions(migrated.url));
    await fromMigrations.initialize();
    await runMigrations(fromMigrations);

    synchronized = await createTestDatabase('orchestrator_schema_from_entities');
    fromEntities = new DataSource(dataSourceOptions(synchronized.url));
    await fromEntities.initialize();
    await fromEntities.query(`CREATE SCHEMA ${SCHEMA}`);
    await fromEntities.synchronize();
  });

  afterAll(async () => {
    await fromMigrations?.destroy();
    await fromEntities?.destroy();
    await migrated?.drop();
    await synchronized?.drop();
  });

  it('leaves the schema builder nothing to do after the migrations', async () => {
    const pending = await fromMigrations.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });

  // The schema builder matches indexes, checks and foreign keys by name only: a partial index's WHERE,
  // a check's expression or a foreign key's action could differ unnoticed. Postgres's own description
  // of the schema the entities build must be the migrations' one.
  it('builds from the entities the tables, indexes and constraints the migrations create', async () => {
    const migratedTables = await describeTables(fromMigrations);
    // The one thing TypeORM's index metadata cannot say: the newest-first list reads created_at DESC.
    const withoutDescending = migratedTables.indexes.map((line) =>
      line.startsWith('execution execution_tenant_created ')
        ? line.replace('created_at DESC', 'created_at')
        : line,
    );
    expect(withoutDescending).not.toEqual(migratedTables.indexes);
    expect(await describeTables(fromEntities)).toEqual({ ...migratedTables, indexes: withoutDescending });
  });
});
