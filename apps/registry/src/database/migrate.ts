/**
 * `npm run migrate:registry`: creates the database if needed and applies pending migrations, under
 * the same advisory lock the service takes at start-up.
 */
import { loadRegistryConfig } from '../config';
import { ensureDatabaseExists } from './ensure-database';
import { createRegistryDataSource } from './registry-data-source';
import { runRegistryMigrations } from './run-migrations';

async function migrate(): Promise<void> {
  const config = loadRegistryConfig();
  const database = await ensureDatabaseExists(config.DATABASE_URL);
  const dataSource = createRegistryDataSource(config.DATABASE_URL);
  await dataSource.initialize();
  try {
    const { applied } = await runRegistryMigrations(dataSource);
    console.log(
      JSON.stringify({
        msg: applied.length > 0 ? 'registry migrations applied' : 'registry schema is up to date',
        database,
        applied,
      }),
    );
  } finally {
    await dataSource.destroy();
  }
}

migrate().catch((error: unknown) => {
  console.error(JSON.stringify({ msg: 'registry migration failed', error: String(error) }));
  process.exitCode = 1;
});
