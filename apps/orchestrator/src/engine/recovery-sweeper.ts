import { Inject, Injectable, Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ORCHESTRATOR_CONFIG, OrchestratorConfig } from '../config';
import { SCHEMA } from '../database/entities';
import { ExecutionEngine } from './execution-engine';
import { ExecutionStore } from './execution.store';
import { RegistrySync } from './registry-sync';
import { commandDeadlineJobId, TimerQueue } from './timer-queue';

const INTERVAL_NAME = 'recovery-sweep';
const SWEEP_EVERY_MS = 30_000;
const REGISTRY_SYNC_OVERDUE_SECONDS = 30;

/**
 * Resumes from Postgres state (invariant 2): at start-up and then every 30 s it re-arms what lives
 * outside Postgres — validation runs, planner wake-ups, the deadlines of pending commands (which re-issue
 * the commands nobody answered, ADR 0081), registry updates. Everything it arms is idempotent
 * (deterministic job ids, and handlers that re-check state under the row lock), so running it on every
 * replica is harmless.
 *
 * A rollback must not wait for its command deadline: the first successful sweep of a process re-issues
 * at once every ROLLBACK command issued before the process started, since the process that issued it
 * may have died with it unanswered (ADR 0077).
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

    await this.rearmCommandDeadlines();

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
   * The deadline of every group of commands still pending (ADR 0081): one timer per execution and issue
   * time, under the job id the issuing transaction used, so one armed already is left as it is. A
   * deadline already past fires at once.
   */
  private async rearmCommandDeadlines(): Promise<void> {
    const groups: { execution_id: string; issued_at: Date; timeout: number }[] = await this.dataSource.query(
      `SELECT i.execution_id, i.pending_command_issued_at AS issued_at, e.health_check_timeout_seconds AS timeout
         FROM ${SCHEMA}.execution_instance i JOIN ${SCHEMA}.execution e ON e.id = i.execution_id
        WHERE i.pending_command_id IS NOT NULL
        GROUP BY i.execution_id, i.pending_command_issued_at, e.health_check_timeout_seconds`,
    );
    const allowance =
      this.config.HEALTH_DEADLINE_MARGIN_SECONDS + this.config.COMMAND_STEPS_ALLOWANCE_SECONDS;
    await this.timers.addBulk(
      groups.map((g) => {
        const issuedAt = new Date(g.issued_at);
        return {
          job: {
            name: 'command-deadline',
            data: { executionId: g.execution_id, issuedAt: issuedAt.toISOString() },
          },
          delayMs: issuedAt.getTime() + (g.timeout + allowance) * 1000 - Date.now(),
          jobId: commandDeadlineJobId(g.execution_id, issuedAt),
        };
      }),
    );
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
        tx.execution.status === 'ROLLING_BACK' ? this.engine.reissueRollbacks(tx, issuedBefore) : 0,
      );
      if (count)
        this.logger.warn({ executionId: id, count }, 'resumed a rollback: re-issued its ROLLBACK commands');
    }
  }
}
