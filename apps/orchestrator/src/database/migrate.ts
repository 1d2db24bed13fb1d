import { DataSource } from 'typeorm';
import { loadConfig } from '../config';
import { dataSourceOptions, runMigrations } from './data-source';

/** `npm run migrate:orchestrator`: applies pending migrations to DATABASE_URL and exits. */
async function main(): Promise<void> {
  const config = loadConfig();
  const dataSource = new DataSource(dataSourceOptions(config.DATABASE_URL));
  await dataSource.initialize();
  try {
    const applied = await runMigrations(dataSource);
    console.log(JSON.stringify({ msg: 'migrations applied', applied }));
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
