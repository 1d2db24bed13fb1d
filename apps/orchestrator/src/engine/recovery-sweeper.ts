import { Inject, Injectable, Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ORCHESTRATOR_CONFIG, OrchestratorConfig } from '../config';
import { SCHEMA } from '../database/entities';
import { ExecutionEngine } from './execution-engine';
import { ExecutionStore } from './execution.store';
import { RegistrySync } from './registry-sync';
import { TimerQueue } from './timer-queue';

const INTERVAL_NAME = 'recovery-sweep';
const SWEEP_EVERY_MS = 30_000;
const REGISTRY_SYNC_OVERDUE_SECONDS = 30;

/**
 * Resumes from Postgres state (invariant 2): at start-up and then every 30 s it re-arms what lives
 * outside Postgres — validation runs, planner wake-ups, health-check deadlines, registry updates — and
 * re-issues commands nobody answered. Everything it arms is idempotent (deterministic job ids, and handlers
 * that re-check state under the row lock), so running it on every replica is harmless.
 *
 * A rollback must not wait for the generic stale re-issue (COMMAND_REISSUE_AFTER_SECONDS): the first
 * successful sweep of a process re-issues at once every ROLLBACK command issued before the process
 * started, since the process that issued it may have died with it unanswered (ADR 0077).
 */
@Injectable()
export class RecoverySweeper {
  private readonly logger = new Logger(RecoverySweeper.name);
  private sweeping: Promise<void> | null = null;
  /** When this process started its recovery; ROLLBACK commands issued before it are re-issued once. */
  private startedAt: Date | null = null;
  private rollbacksResumed = false;

  constructor(
    @Inject(ORCHESTRATOR_CONFIG) private readonly config: OrchestratorConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly scheduler: SchedulerRegistry,
    private readonly timers: TimerQueue,
    private readonly store: ExecutionStore,
    private readonly engine: ExecutionEngine,
    private readonly registrySync: RegistrySync,
  ) {}

  start(): void {
    this.startedAt = new Date();
    this.rollbacksResumed = false;
    this.scheduler.addInterval(
      INTERVAL_NAME,
      setInterval(() => void this.sweep(), SWEEP_EVERY_MS),
    );
    void this.sweep();
  }

  async stop(): Promise<void> {
    if (this.scheduler.doesExist('interval', INTERVAL_NAME)) this.scheduler.deleteInterval(INTERVAL_NAME);
    await this.sweeping;
  }

  sweep(): Promise<void> {
    this.sweeping ??= this.run()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'recovery sweep failed; retried next time'))
      .finally(() => {
        this.sweeping = null;
      });
    return this.sweeping;
  }

  private async run(): Promise<void> {
    if (!this.rollbacksResumed && this.startedAt !== null) {
      // Failed jobs kept by earlier versions (removeOnFail used to keep 1000) would block their ids.
      await this.timers.dropFailed();
      await this.resumeRollbacks(this.startedAt);
      this.rollbacksResumed = true;
    }
    const active: { id: string; status: string }[] = await this.dataSource.query(
      `SELECT id, status FROM ${SCHEMA}.execution
        WHERE status IN ('VALIDATING', 'IN_PROGRESS', 'CANARY_RUNNING')`,
    );
    for (const e of active) {
      if (e.status === 'VALIDATING') {
        await this.timers.add(
          { name: 'validate', data: { executionId: e.id } },
          { jobId: `validate-${e.id}` },
        );
      } else {
        await this.timers.add({ name: 'advance', data: { executionId: e.id } }, { jobId: `recover-${e.id}` });
      }
    }

    const healthChecks: { execution_id: string; id: string; pending_command_id: string; due: Date }[] =
      await this.dataSource.query(
        `SELECT i.execution_id, i.id, i.pending_command_id,
                i.pending_command_issued_at + make_interval(secs => e.health_check_timeout_seconds + $1) AS due
           FROM ${SCHEMA}.execution_instance i JOIN ${SCHEMA}.execution e ON e.id = i.execution_id
          WHERE i.pending_command_type = 'HEALTH_CHECK'`,
        [this.config.HEALTH_DEADLINE_MARGIN_SECONDS],
      );
    for (const h of healthChecks) {
      await this.timers.add(
        {
          name: 'health-deadline',
          data: { executionId: h.execution_id, instanceId: h.id, commandId: h.pending_command_id },
        },
        { delayMs: new Date(h.due).getTime() - Date.now(), jobId: `deadline-${h.pending_command_id}` },
      );
    }

    const cutoff = new Date(Date.now() - this.config.COMMAND_REISSUE_AFTER_SECONDS * 1000);
    const stale: { execution_id: string }[] = await this.dataSource.query(
      `SELECT DISTINCT execution_id FROM ${SCHEMA}.execution_instance
        WHERE pending_command_id IS NOT NULL AND pending_command_type <> 'HEALTH_CHECK'
          AND pending_command_issued_at < $1`,
      [cutoff],
    );
    for (const s of stale) {
      const count = await this.store.withLocked(s.execution_id, (tx) => this.engine.reissueStale(tx, cutoff));
      if (count) this.logger.warn({ executionId: s.execution_id, count }, 're-issued unanswered commands');
    }

    // Versions owed to the registry whose delivery job was lost (ADR 0033). Newer rows are left to the
    // job the committing transaction enqueued.
    for (const owed of await this.registrySync.overdue(REGISTRY_SYNC_OVERDUE_SECONDS)) {
      await this.timers.add({ name: 'registry-sync', data: owed });
      this.logger.warn(
        { executionId: owed.executionId, instances: owed.instanceIds.length },
        're-sending instance versions the registry has not acknowledged',
      );
    }
  }

  /**
   * ROLLBACK commands of ROLLING_BACK executions issued before `issuedBefore` are issued again under new
   * command ids (a late answer to the old one is ignored). Runs once per process, at its first sweep.
   */
  private async resumeRollbacks(issuedBefore: Date): Promise<void> {
    const rollingBack: { id: string }[] = await this.dataSource.query(
      `SELECT DISTINCT e.id FROM ${SCHEMA}.execution e
         JOIN ${SCHEMA}.execution_instance i ON i.execution_id = e.id
        WHERE e.status = 'ROLLING_BACK' AND i.pending_command_type = 'ROLLBACK'
          AND i.pending_command_issued_at < $1`,
      [issuedBefore],
    );
    for (const { id } of rollingBack) {
      const count = await this.store.withLocked(id, (tx) =>
        tx.execution.status === 'ROLLING_BACK' ? this.engine.reissueStale(tx, issuedBefore) : 0,
      );
      if (count)
        this.logger.warn({ executionId: id, count }, 'resumed a rollback: re-issued its ROLLBACK commands');
    }
  }
}
