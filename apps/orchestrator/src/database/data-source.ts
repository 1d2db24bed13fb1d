import { DataSource } from 'typeorm';
import { ENTITIES, SCHEMA } from './entities';
import { MIGRATIONS } from '../migrations';

/** Options shared by the app (TypeOrmModule) and `npm run migrate:orchestrator`. */
export function dataSourceOptions(databaseUrl: string) {
  return {
    type: 'postgres' as const,
    url: databaseUrl,
    schema: SCHEMA,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsRun: false,
    synchronize: false,
    logging: false,
    // The results consumer runs one transaction per execution per batch; replicas share Postgres.
    extra: { max: 20, application_name: 'upshift-orchestrator' },
  };
}

// An arbitrary constant: every orchestrator replica takes this lock before migrating.
const MIGRATION_LOCK_KEY = 4_002_006;

/**
 * Creates the schema and applies pending migrations while holding a session advisory lock, so
 * replicas that start together migrate once and the others wait, then find nothing to do.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await runner.query(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}
