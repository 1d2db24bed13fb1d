import { Injectable, Logger } from '@nestjs/common';
import { CanaryWakeup } from './canary-wakeup';
import type { ExecutionTransaction } from './execution-transaction';
import { TimerQueue } from './timer-queue';

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
  ) {}

  run(tx: ExecutionTransaction): void {
    const executionId = tx.execution.id;
    const tasks: Promise<void>[] = [];
    for (const t of tx.timers) {
      if (t.kind === 'advance') {
        tasks.push(
          this.timers.add(
            { name: 'advance', data: { executionId } },
            { delayMs: t.at.getTime() - Date.now(), jobId: t.jobKey },
          ),
        );
      } else if (t.kind === 'health-deadline') {
        tasks.push(
          this.timers.add(
            {
              name: 'health-deadline',
              data: { executionId, instanceId: t.instanceId, commandId: t.commandId },
            },
            { delayMs: t.at.getTime() - Date.now(), jobId: `deadline-${t.commandId}` },
          ),
        );
      } else {
        tasks.push(
          this.timers.add({ name: 'validate', data: { executionId } }, { jobId: `validate-${executionId}` }),
        );
      }
    }
    if (tx.registrySync.length > 0) {
      tasks.push(
        this.timers.add({
          name: 'registry-sync',
          data: { tenantId: tx.execution.tenantId, executionId, instances: tx.registrySync },
        }),
      );
    }
    if (tx.canaryCheckNow) this.wakeup.due.next(executionId);
    for (const fn of tx.after) {
      try {
        fn();
      } catch (error) {
        this.logger.error({ err: error, executionId }, 'post-commit hook failed');
      }
    }
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
