import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { createTestDatabase } from '@upshift/testing';
import type { TestDatabase } from '@upshift/testing';
import { dataSourceOptions, runMigrations } from '../src/database/data-source';
import { SCHEMA } from '../src/database/entities';
import { MIGRATIONS } from '../src/migrations';

/** The orchestrator's schema comes only from its migrations (no synchronize): replayed on an empty database. */
describe('orchestrator migrations (PostgreSQL)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  const tableExists = async (table: string): Promise<boolean> => {
    const [row] = await dataSource.query<{ found: string | null }[]>(
      'SELECT to_regclass($1)::text AS found',
      [`${SCHEMA}.${table}`],
    );
    return row?.found !== null && row?.found !== undefined;
  };

  beforeAll(async () => {
    db = await createTestDatabase('orchestrator_migrations');
    dataSource = new DataSource(dataSourceOptions(db.url));
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('applies every migration once, in order', async () => {
    expect(await runMigrations(dataSource)).toEqual(MIGRATIONS.map((m) => new m().name));
    expect(await runMigrations(dataSource)).toEqual([]);
  });

  it('has no processed_messages table: results are deduplicated by commandId (ADR 0042, ADR 0024 amendment)', async () => {
    expect(await tableExists('outbox')).toBe(true);
    expect(await tableExists('processed_messages')).toBe(false);
  });

  it('reverting the drop restores the table, and migrating again drops it', async () => {
    // The outbox progress index came after the drop: undone first, then the drop.
    await dataSource.undoLastMigration({ transaction: 'each' });
    await dataSource.undoLastMigration({ transaction: 'each' });
    expect(await tableExists('processed_messages')).toBe(true);
    expect(await runMigrations(dataSource)).toEqual([
      'DropProcessedMessages1760000000004',
      'OutboxProgressIndex1760000000006',
    ]);
    expect(await tableExists('processed_messages')).toBe(false);
  });
});
