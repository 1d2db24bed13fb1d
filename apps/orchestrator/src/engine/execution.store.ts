import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import {
  ExecutionEntity,
  ExecutionInstanceEntity,
  SCHEMA,
  ValidationResultEntity,
} from '../database/entities';
import { toExecutionView } from '../upgrades/execution-view';
import { ExecutionTransaction } from './execution-transaction';
import type { CheckOutcome, RegistrySync as RegistrySyncEntry } from './execution-transaction';
import { buildOutboxMessages, writeOutbox } from './outbox-messages';
import { PostCommitEffects } from './post-commit-effects';

const INSTANCE_COLUMNS = `
  id text, status text, batch int, failed_at text, started_at timestamptz, completed_at timestamptz, error text,
  pending_command_id uuid, pending_command_type text, pending_command_issued_at timestamptz, attempt int,
  pending_command_steps int, fencing_token bigint, rollback_failed boolean`;

/**
 * Inserts the rows as they are. A repository insert would read every column with a default back
 * (RETURNING) and copy it onto the entity untransformed: lease_version and progress_sequence would turn
 * into the strings pg returns for bigint, and `+= 1` would then append instead of add.
 */
async function insertRows<T extends ObjectLiteral>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  rows: T[],
): Promise<void> {
  await manager.createQueryBuilder().insert().into(entity).values(rows).updateEntity(false).execute();
}

/** Executions whose instance rows are kept in memory between transactions (least recently used first out). */
const CACHED_EXECUTIONS = 64;

interface CachedInstances {
  /** The execution's lease_version when these rows were committed. */
  leaseVersion: number;
  instances: ExecutionInstanceEntity[];
  byId: ReadonlyMap<string, ExecutionInstanceEntity>;
}

/**
 * The one way state changes are written (ADR 0040): lock the execution row, let the caller apply
 * domain transitions to an ExecutionTransaction, then write the rows, the outbox messages and the
 * transcript in the same transaction, and only after the commit run the side effects (timers, registry
 * updates).
 */
@Injectable()
export class ExecutionStore {
  /**
   * The instance rows each recent transaction committed, keyed by execution and tagged with the
   * lease_version that commit wrote. Every write of execution_instance goes through this store and bumps
   * lease_version in the same transaction, so when the locked row still carries that lease_version the
   * rows in Postgres are exactly these: a transaction reuses them instead of reloading hundreds or
   * thousands of rows. Any other version (another replica committed, a transaction here failed) reloads.
   * An entry is taken out while a transaction works on it and put back only after its commit.
   */
  private readonly instanceCache = new Map<string, CachedInstances>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly effects: PostCommitEffects,
  ) {}

  /**
   * Runs `fn` with the execution row locked (`SELECT … FOR UPDATE`) and its instances loaded. Returns
   * null when the execution does not exist. `fn` may throw to abort: nothing is written.
   */
  async withLocked<T>(
    executionId: string,
    fn: (tx: ExecutionTransaction) => Promise<T> | T,
  ): Promise<T | null> {
    let tx: ExecutionTransaction | null = null;
    const result = await this.dataSource.transaction(async (manager) => {
      const execution = await manager
        .getRepository(ExecutionEntity)
        .createQueryBuilder('e')
        .setLock('pessimistic_write')
        .where('e.id = :id', { id: executionId })
        .getOne();
      if (execution === null) return null;
      const cached = await this.lockedInstances(manager, execution);
      const current = new ExecutionTransaction(execution, cached.instances, cached.byId);
      const value = await fn(current);
      await this.flush(manager, current, false);
      tx = current;
      return { value };
    });
    if (result === null) return null;
    if (tx !== null) {
      this.remember(tx);
      this.effects.run(tx);
    }
    return result.value;
  }

  /** The instances of the locked execution: the cached rows if nothing committed since, else from Postgres. */
  private async lockedInstances(
    manager: EntityManager,
    execution: ExecutionEntity,
  ): Promise<{ instances: ExecutionInstanceEntity[]; byId?: CachedInstances['byId'] }> {
    const cached = this.instanceCache.get(execution.id);
    // Taken out for the duration of the transaction: if it fails, the half-applied rows are dropped.
    this.instanceCache.delete(execution.id);
    if (cached !== undefined && cached.leaseVersion === execution.leaseVersion) return cached;
    const instances = await manager.getRepository(ExecutionInstanceEntity).find({
      where: { executionId: execution.id },
      order: { position: 'ASC' },
    });
    return { instances };
  }

  /** After a commit: the rows in memory are now what Postgres holds at the new lease_version. */
  private remember(tx: ExecutionTransaction): void {
    const { execution, instances, byId } = tx;
    this.instanceCache.delete(execution.id);
    this.instanceCache.set(execution.id, { leaseVersion: execution.leaseVersion, instances, byId });
    while (this.instanceCache.size > CACHED_EXECUTIONS) {
      const oldest = this.instanceCache.keys().next();
      if (oldest.done === true) break;
      this.instanceCache.delete(oldest.value);
    }
  }

  /** Inserts a new execution and its instances, with whatever `fn` adds (ExecutionCreated), in one transaction. */
  async insert(
    execution: ExecutionEntity,
    instances: ExecutionInstanceEntity[],
    fn: (tx: ExecutionTransaction) => void,
  ): Promise<void> {
    let tx: ExecutionTransaction | null = null;
    await this.dataSource.transaction(async (manager) => {
      await insertRows(manager, ExecutionEntity, [execution]);
      const saved = await manager.getRepository(ExecutionEntity).findOneByOrFail({ id: execution.id });
      execution.createdAt = saved.createdAt;
      for (let i = 0; i < instances.length; i += 1000) {
        await insertRows(manager, ExecutionInstanceEntity, instances.slice(i, i + 1000));
      }
      const current = new ExecutionTransaction(execution, instances);
      fn(current);
      await this.flush(manager, current, true);
      tx = current;
    });
    if (tx !== null) {
      this.remember(tx);
      this.effects.run(tx);
    }
  }

  private async flush(manager: EntityManager, tx: ExecutionTransaction, isNew: boolean): Promise<void> {
    const { execution } = tx;
    if (
      !isNew &&
      !tx.changed &&
      tx.commands.length === 0 &&
      tx.transcript.length === 0 &&
      tx.registrySync.length === 0
    ) {
      return;
    }
    execution.updatedAt = tx.now;
    execution.leaseVersion += 1;
    const firstSequence = execution.progressSequence + 1;
    execution.progressSequence += tx.events.length;
    await this.updateExecution(manager, execution);
    await this.drawFencingTokens(manager, tx);
    if (!isNew && tx.dirty.size > 0) await this.updateInstances(manager, execution.id, [...tx.dirty]);
    if (tx.registrySync.length > 0) await this.oweRegistry(manager, execution, tx.registrySync, tx.now);
    // Before the snapshot below, which reads them back.
    if (tx.validationResults.length > 0) {
      await this.saveValidation(manager, execution.id, tx.validationResults, tx.now);
    }
    if (tx.transcript.length > 0) {
      await manager.query(
        `INSERT INTO ${SCHEMA}.transcript_line (execution_id, at, line) SELECT $1, $2, unnest($3::text[])`,
        [execution.id, tx.now, tx.transcript],
      );
    }
    const wantSnapshot = isNew || tx.snapshotDue;
    const validation = wantSnapshot
      ? await manager.getRepository(ValidationResultEntity).findBy({ executionId: execution.id })
      : [];
    const snapshot = wantSnapshot ? toExecutionView(execution, tx.instances, validation) : null;
    const messages = buildOutboxMessages(tx, firstSequence, snapshot);
    await writeOutbox(manager, messages);
  }

  private async updateExecution(manager: EntityManager, e: ExecutionEntity): Promise<void> {
    await manager.query(
      `UPDATE ${SCHEMA}.execution SET
         status = $2, status_reason = $3, phase = $4, halted = $5, completed_instances = $6, failed_instances = $7,
         current_batch = $8, total_batches = $9, approved_stage = $10, last_batch_completed_at = $11,
         next_canary_check_at = $12, progress_sequence = $13, lease_version = $14, rollback_reason = $15,
         rollback_initiated_at = $16, rollback_initiated_by = $17, started_at = $18, completed_at = $19,
         updated_at = $20
       WHERE id = $1`,
      [
        e.id,
        e.status,
        e.statusReason,
        e.phase,
        e.halted,
        e.completedInstances,
        e.failedInstances,
        e.currentBatch,
        e.totalBatches,
        e.approvedStage,
        e.lastBatchCompletedAt,
        e.nextCanaryCheckAt,
        e.progressSequence,
        e.leaseVersion,
        e.rollbackReason,
        e.rollbackInitiatedAt,
        e.rollbackInitiatedBy,
        e.startedAt,
        e.completedAt,
        e.updatedAt,
      ],
    );
  }

  /**
   * Each command sent gets the next value of command_fencing_seq, in the order the engine issued them
   * (ADR 0081). A sequence grows across transactions, executions and replicas, and a value drawn is
   * never handed out again, even when this transaction rolls back: a later command always holds a
   * larger token than any earlier one for the same instance. One round trip per transaction.
   */
  private async drawFencingTokens(manager: EntityManager, tx: ExecutionTransaction): Promise<void> {
    const sent = tx.sentCommands();
    if (sent.length === 0) return;
    const rows: { token: string }[] = await manager.query(
      `SELECT nextval('${SCHEMA}.command_fencing_seq') AS token FROM generate_series(1, $1)`,
      [sent.length],
    );
    const tokens = rows.map((r) => Number(r.token)).sort((a, b) => a - b);
    sent.forEach(({ instance }, index) => {
      instance.fencingToken = tokens[index] ?? null;
    });
  }

  /**
   * The versions the registry's inventory must learn, written with the state change that decided them
   * (ADR 0033): RegistrySync sends them after the commit and deletes them once acknowledged. The latest
   * version per instance wins (an instance upgraded, then rolled back, in one transaction).
   */
  private async oweRegistry(
    manager: EntityManager,
    execution: ExecutionEntity,
    owed: readonly RegistrySyncEntry[],
    now: Date,
  ): Promise<void> {
    const latest = new Map(owed.map((o) => [o.instanceId, o.versionId]));
    await manager.query(
      `INSERT INTO ${SCHEMA}.registry_sync (instance_id, tenant_id, execution_id, version_id, recorded_at)
       SELECT u.instance_id, $1, $2, u.version_id, $3 FROM unnest($4::text[], $5::uuid[]) AS u(instance_id, version_id)
       ON CONFLICT (instance_id) DO UPDATE SET tenant_id = excluded.tenant_id, execution_id = excluded.execution_id,
         version_id = excluded.version_id, recorded_at = excluded.recorded_at`,
      [execution.tenantId, execution.id, now, [...latest.keys()], [...latest.values()]],
    );
  }

  /** The latest verdict of each check replaces an earlier one (a re-run after a restart). */
  private async saveValidation(
    manager: EntityManager,
    executionId: string,
    results: readonly CheckOutcome[],
    now: Date,
  ): Promise<void> {
    for (const c of results) {
      await manager.query(
        `INSERT INTO ${SCHEMA}.validation_result (execution_id, "check", passed, detail, checked_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (execution_id, "check") DO UPDATE SET passed = $3, detail = $4, checked_at = $5`,
        [executionId, c.check, c.passed, c.detail, now],
      );
    }
  }

  /** All changed instance rows in one statement: one round trip however many instances a batch moved. */
  private async updateInstances(
    manager: EntityManager,
    executionId: string,
    instances: ExecutionInstanceEntity[],
  ): Promise<void> {
    const rows = instances.map((i) => ({
      id: i.id,
      status: i.status,
      batch: i.batch,
      failed_at: i.failedAt,
      started_at: i.startedAt,
      completed_at: i.completedAt,
      error: i.error,
      pending_command_id: i.pendingCommandId,
      pending_command_type: i.pendingCommandType,
      pending_command_issued_at: i.pendingCommandIssuedAt,
      attempt: i.attempt,
      pending_command_steps: i.pendingCommandSteps,
      fencing_token: i.fencingToken,
      rollback_failed: i.rollbackFailed,
    }));
    await manager.query(
      `UPDATE ${SCHEMA}.execution_instance AS t SET
         status = v.status, batch = v.batch, failed_at = v.failed_at, started_at = v.started_at,
         completed_at = v.completed_at, error = v.error, pending_command_id = v.pending_command_id,
         pending_command_type = v.pending_command_type, pending_command_issued_at = v.pending_command_issued_at,
         attempt = v.attempt, pending_command_steps = v.pending_command_steps, fencing_token = v.fencing_token,
         rollback_failed = v.rollback_failed
       FROM jsonb_to_recordset($2::jsonb) AS v(${INSTANCE_COLUMNS})
       WHERE t.execution_id = $1 AND t.id = v.id`,
      [executionId, JSON.stringify(rows)],
    );
  }

  /**
   * Whether any command of the execution issued at or before `issuedAt` is still pending (no lock: a hint
   * for the command deadline, which nearly always finds its group answered; it re-checks under the lock).
   */
  async commandsPendingSince(executionId: string, issuedAt: Date): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM ${SCHEMA}.execution_instance
        WHERE execution_id = $1 AND pending_command_id IS NOT NULL AND pending_command_issued_at <= $2
        LIMIT 1`,
      [executionId, issuedAt],
    );
    return rows.length > 0;
  }

  /** Read-only load (no lock) for views and for work done outside a transaction. */
  async load(executionId: string): Promise<{
    execution: ExecutionEntity;
    instances: ExecutionInstanceEntity[];
    validation: ValidationResultEntity[];
  } | null> {
    const manager = this.dataSource.manager;
    const execution = await manager.getRepository(ExecutionEntity).findOneBy({ id: executionId });
    if (execution === null) return null;
    // The committed rows at this very lease_version are in memory (a dashboard polling a 10,000-instance
    // execution would otherwise reload them all every time): copies, so the caller reads a stable state
    // while the next transaction moves on with the originals.
    const cached = this.instanceCache.get(executionId);
    const fromCache =
      cached !== undefined && cached.leaseVersion === execution.leaseVersion
        ? cached.instances.map((i): ExecutionInstanceEntity => ({ ...i }))
        : null;
    const [instances, validation] = await Promise.all([
      fromCache ??
        manager
          .getRepository(ExecutionInstanceEntity)
          .find({ where: { executionId }, order: { position: 'ASC' } }),
      manager.getRepository(ValidationResultEntity).findBy({ executionId }),
    ]);
    return { execution, instances, validation };
  }
}
