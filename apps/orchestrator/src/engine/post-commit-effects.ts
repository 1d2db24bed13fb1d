import { Injectable, Logger } from '@nestjs/common';
import { OrchestratorMetrics } from '../metrics/orchestrator-metrics';
import { CanaryWakeup } from './canary-wakeup';
import type { ExecutionTransaction } from './execution-transaction';
import { commandDeadlineJobId, TimerQueue } from './timer-queue';

/**
 * What a committed transaction asked for outside Postgres. Failures here are logged and repaired by
 * the recovery sweep (which re-arms timers from Postgres state), never rolled into the transaction.
 */
@Injectable()
export class PostCommitEffects {
  private readonly logger = new Logger(PostCommitEffects.name);

  constructor(
    private readonly timers: TimerQueue,
    private readonly wakeup: CanaryWakeup,
    private readonly metrics: OrchestratorMetrics,
  ) {}

  run(tx: ExecutionTransaction): void {
    const executionId = tx.execution.id;
    this.metrics.recordCommitted(tx);
    const jobs: Parameters<TimerQueue['addBulk']>[0] = [];
    for (const t of tx.timers) {
      if (t.kind === 'advance') {
        jobs.push({
          job: { name: 'advance', data: { executionId } },
          delayMs: t.at.getTime() - Date.now(),
          jobId: t.jobKey,
        });
      } else if (t.kind === 'command-deadline') {
        jobs.push({
          job: { name: 'command-deadline', data: { executionId, issuedAt: t.issuedAt.toISOString() } },
          delayMs: t.at.getTime() - Date.now(),
          jobId: commandDeadlineJobId(executionId, t.issuedAt),
        });
      } else {
        jobs.push({ job: { name: 'validate', data: { executionId } }, jobId: `validate-${executionId}` });
      }
    }
    if (tx.registrySync.length > 0) {
      jobs.push({
        job: {
          name: 'registry-sync',
          data: {
            tenantId: tx.execution.tenantId,
            executionId,
            instanceIds: [...new Set(tx.registrySync.map((r) => r.instanceId))],
          },
        },
      });
    }
    // One Redis round trip for all of them.
    const tasks: Promise<void>[] = jobs.length > 0 ? [this.timers.addBulk(jobs)] : [];
    if (tx.canaryCheckNow) this.wakeup.due.next(executionId);
    if (tasks.length > 0) {
      void Promise.all(tasks).catch((error: unknown) =>
        this.logger.error(
          { err: error, executionId },
          'could not arm a timer; the recovery sweep will re-arm it',
        ),
      );
    }
  }
}
