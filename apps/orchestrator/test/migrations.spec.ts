import 'reflect-metadata';
import { randomUUID } from 'crypto';
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
    await dataSource.undoLastMigration({ transaction: 'each' }); // InstanceOutOfSupport
    await dataSource.undoLastMigration({ transaction: 'each' }); // OutboxProgressIndex
    await dataSource.undoLastMigration({ transaction: 'each' }); // OneCommandPerAttempt
    await dataSource.undoLastMigration({ transaction: 'each' }); // DropProcessedMessages
    expect(await tableExists('processed_messages')).toBe(true);
    expect(await runMigrations(dataSource)).toEqual([
      'DropProcessedMessages1760000000004',
      'OneCommandPerAttempt1760000000005',
      'OutboxProgressIndex1760000000006',
      'InstanceOutOfSupport1760000000007',
    ]);
    expect(await tableExists('processed_messages')).toBe(false);
  });

  // ADR 0081: the per-step commands of the old flow were sent in a shape nobody answers any more.
  it('turns the pending per-step commands of the old flow into UPGRADE commands never answered and overdue', async () => {
    await dataSource.undoLastMigration({ transaction: 'each' }); // InstanceOutOfSupport
    await dataSource.undoLastMigration({ transaction: 'each' }); // OutboxProgressIndex
    await dataSource.undoLastMigration({ transaction: 'each' }); // OneCommandPerAttempt
    const executionId = randomUUID();
    await dataSource.query(
      `INSERT INTO ${SCHEMA}.execution (id, tenant_id, component_id, from_version_id, to_version_id, strategy,
         canary_percentage, batch_size, batch_delay_seconds, health_check_interval_seconds,
         health_check_timeout_seconds, max_unavailable_percentage, total_instances, auto_rollback_enabled,
         failure_threshold, status, phase, from_version, to_version, artifact_url, artifact_sha256)
       VALUES ($1, 't', 'c', 'v1', 'v2', 'ROLLING', 0, 5, 0, 1, 5, 100, 5, true, 1, 'IN_PROGRESS', 'ROLLOUT',
         '1.0.0', '2.0.0', 'https://a.example/x.tgz', $2)`,
      [executionId, 'a'.repeat(64)],
    );
    const before: [string, string, string | null][] = [
      ['i1', 'DRAINING', 'DRAIN'],
      ['i2', 'UPGRADING', 'UPGRADE'],
      ['i3', 'HEALTH_CHECKING', 'HEALTH_CHECK'],
      ['i4', 'COMPLETED', 'ROLLBACK'],
      ['i5', 'PENDING', null],
    ];
    for (const [position, [id, status, type]] of before.entries()) {
      await dataSource.query(
        `INSERT INTO ${SCHEMA}.execution_instance (execution_id, id, position, name, agent_url, status,
           pending_command_id, pending_command_type, pending_command_issued_at, attempt)
         VALUES ($1, $2, $3, $2, 'http://agent', $4, $5, $6, CASE WHEN $6::text IS NULL THEN NULL ELSE now() END, 1)`,
        [executionId, id, position, status, type === null ? null : randomUUID(), type],
      );
    }
    const rows = () =>
      dataSource.query<Record<string, unknown>[]>(
        `SELECT id, pending_command_type AS type, pending_command_issued_at AS "issuedAt",
                pending_command_steps AS steps, fencing_token AS token
           FROM ${SCHEMA}.execution_instance WHERE execution_id = $1 ORDER BY position`,
        [executionId],
      );

    const fromOneCommandOn = [
      'OneCommandPerAttempt1760000000005',
      'OutboxProgressIndex1760000000006',
      'InstanceOutOfSupport1760000000007',
    ];
    expect(await runMigrations(dataSource)).toEqual(fromOneCommandOn);
    const epoch = new Date(0);
    expect(await rows()).toEqual([
      { id: 'i1', type: 'UPGRADE', issuedAt: epoch, steps: 0, token: null },
      { id: 'i2', type: 'UPGRADE', issuedAt: epoch, steps: 0, token: null },
      { id: 'i3', type: 'UPGRADE', issuedAt: epoch, steps: 0, token: null },
      { id: 'i4', type: 'ROLLBACK', issuedAt: epoch, steps: 0, token: null },
      { id: 'i5', type: null, issuedAt: null, steps: 0, token: null },
    ]);

    // Rows written before ADR 0092 read as in support.
    const flags = await dataSource.query<{ out_of_support: boolean }[]>(
      `SELECT out_of_support FROM ${SCHEMA}.execution_instance WHERE execution_id = $1`,
      [executionId],
    );
    expect(flags.map((f) => f.out_of_support)).toEqual(before.map(() => false));

    // Reverted, each instance holds the per-step command its status waits for.
    await dataSource.undoLastMigration({ transaction: 'each' });
    await dataSource.undoLastMigration({ transaction: 'each' });
    await dataSource.undoLastMigration({ transaction: 'each' });
    const reverted = await dataSource.query<{ type: string | null }[]>(
      `SELECT pending_command_type AS type FROM ${SCHEMA}.execution_instance
        WHERE execution_id = $1 ORDER BY position`,
      [executionId],
    );
    expect(reverted.map((r) => r.type)).toEqual(before.map(([, , type]) => type));
    expect(await runMigrations(dataSource)).toEqual(fromOneCommandOn);
  });
});
