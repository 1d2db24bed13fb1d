import { Inject, Injectable, Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Subscription } from 'rxjs';
import { InstanceStatus } from '@upshift/contracts';
import { AgentClient } from '../agent/agent.client';
import { mapLimit } from '../common/map-limit';
import { ORCHESTRATOR_CONFIG, OrchestratorConfig } from '../config';
import { SCHEMA } from '../database/entities';
import { CanaryWakeup } from './canary-wakeup';
import { ExecutionEngine } from './execution-engine';
import { ExecutionStore } from './execution.store';

const INTERVAL_NAME = 'canary-monitor';

/**
 * Checks the canaries of every CANARY_MONITORING execution every healthCheckIntervalSeconds (and at
 * once on entering monitoring). The due time lives in Postgres (`next_canary_check_at`) and is claimed
 * with `FOR UPDATE SKIP LOCKED`, so with two replicas each check runs once and a restart loses nothing.
 */
@Injectable()
export class CanaryMonitor {
  private readonly logger = new Logger(CanaryMonitor.name);
  private subscription: Subscription | null = null;
  private running = new Set<string>();
  private ticking = false;

  constructor(
    @Inject(ORCHESTRATOR_CONFIG) private readonly config: OrchestratorConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly scheduler: SchedulerRegistry,
    private readonly store: ExecutionStore,
    private readonly engine: ExecutionEngine,
    private readonly agents: AgentClient,
    private readonly wakeup: CanaryWakeup,
  ) {}

  start(): void {
    const handle = setInterval(() => void this.tick(), this.config.CANARY_MONITOR_TICK_MS);
    this.scheduler.addInterval(INTERVAL_NAME, handle);
    this.subscription = this.wakeup.due.subscribe(() => void this.tick());
  }

  stop(): void {
    if (this.scheduler.doesExist('interval', INTERVAL_NAME)) this.scheduler.deleteInterval(INTERVAL_NAME);
    this.subscription?.unsubscribe();
  }

  /** Claims due executions and checks each. */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const due: { id: string }[] = await this.dataSource
        .query(
          `UPDATE ${SCHEMA}.execution e
            SET next_canary_check_at = now() + make_interval(secs => e.health_check_interval_seconds)
          WHERE e.id IN (SELECT id FROM ${SCHEMA}.execution
                          WHERE status = 'CANARY_MONITORING' AND next_canary_check_at <= now()
                          FOR UPDATE SKIP LOCKED)
        RETURNING e.id`,
        )
        .then(
          (rows: [{ id: string }[], number] | { id: string }[]) =>
            (Array.isArray(rows[0]) ? rows[0] : rows) as { id: string }[],
        );
      await Promise.all(due.filter((d) => !this.running.has(d.id)).map((d) => this.check(d.id)));
    } catch (error) {
      this.logger.warn({ err: error }, 'canary monitor tick failed');
    } finally {
      this.ticking = false;
    }
  }

  private async check(executionId: string): Promise<void> {
    this.running.add(executionId);
    try {
      const loaded = await this.store.load(executionId);
      if (loaded === null) return;
      const canaries = loaded.instances.filter((i) => i.status !== InstanceStatus.PENDING);
      const verdicts = await mapLimit(canaries, 16, async (i) => {
        if (i.status !== InstanceStatus.COMPLETED) {
          return { id: i.id, reason: `canary is ${i.status}${i.error ? `: ${i.error}` : ''}` };
        }
        const health = await this.agents.health({
          tenantId: loaded.execution.tenantId,
          agentUrl: i.agentUrl,
        });
        return health.ok ? null : { id: i.id, reason: health.error };
      });
      const unhealthy = verdicts.filter((v): v is { id: string; reason: string } => v !== null);
      await this.store.withLocked(executionId, (tx) =>
        this.engine.canaryReport(
          tx,
          canaries.map((c) => c.id),
          unhealthy,
        ),
      );
    } catch (error) {
      this.logger.warn({ err: error, executionId }, 'canary check failed; retried at the next interval');
    } finally {
      this.running.delete(executionId);
    }
  }
}
