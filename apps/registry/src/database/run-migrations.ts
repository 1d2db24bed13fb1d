import { DataSource } from 'typeorm';
import { REGISTRY_SCHEMA } from './registry-data-source';

/**
 * Key of the session-level advisory lock that serialises the registry's migrations: the first
 * replica migrates, the others wait on the lock and then find nothing left to run. The number is
 * arbitrary but fixed ("upshift registry" as two int32s), and distinct from other services' keys.
 */
export const REGISTRY_MIGRATION_LOCK = { classId: 0x75707368, objectId: 0x72656731 };

export interface MigrationReport {
  applied: string[];
}

/** Runs pending migrations while holding the advisory lock, on a connection of `dataSource`. */
export async function runRegistryMigrations(dataSource: DataSource): Promise<MigrationReport> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1, $2)', [
      REGISTRY_MIGRATION_LOCK.classId,
      REGISTRY_MIGRATION_LOCK.objectId,
    ]);
    try {
      // TypeORM keeps its migrations table in the registry schema, which must exist first.
      await runner.query(`CREATE SCHEMA IF NOT EXISTS ${REGISTRY_SCHEMA}`);
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return { applied: applied.map((migration) => migration.name) };
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1, $2)', [
        REGISTRY_MIGRATION_LOCK.classId,
        REGISTRY_MIGRATION_LOCK.objectId,
      ]);
    }
  } finally {
    await runner.release();
  }
}
