import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Queue } from 'bullmq';
import type { JobsOptions } from 'bullmq';
import Redis from 'ioredis';
import { withTraceContext } from '@upshift/tracing';
import { ORCHESTRATOR_CONFIG, OrchestratorConfig } from '../config';
import { failFastRedisOptions, REDIS_COMMAND_TIMEOUT_MS } from './redis-options';

export const TIMER_QUEUE_NAME = 'orchestrator-timers';

export type TimerJob =
  | { name: 'advance'; data: { executionId: string } }
  | { name: 'validate'; data: { executionId: string } }
  /** The deadline of the commands an execution issued at `issuedAt` (ISO; ADR 0081). */
  | { name: 'command-deadline'; data: { executionId: string; issuedAt: string } }
  | { name: 'registry-sync'; data: { tenantId: string; executionId: string; instanceIds: string[] } };

/** The job id of a command group's deadline: one per execution and issue time, however often it is armed. */
export function commandDeadlineJobId(executionId: string, issuedAt: Date): string {
  return `deadline-${executionId}-${issuedAt.getTime()}`;
}

/**
 * Timers and retried side effects as BullMQ jobs in Redis, so that a batch delay, a command
 * deadline or a registry update survives an orchestrator restart and runs on whichever replica is up
 * (ADR 0043). Job ids are deterministic where a duplicate would be harmful: adding the same timer twice
 * (after a restart, or from two replicas) keeps one.
 *
 * A job that fails for good (its handler threw on every attempt, e.g. through a long Postgres outage) is
 * removed, not kept: BullMQ refuses to add a job whose id still exists in any state, so a kept failed job
 * would stop the recovery sweep from ever re-arming that timer (ADR 0077). The failure is logged.
 */
@Injectable()
export class TimerQueue implements OnModuleDestroy {
  private readonly logger = new Logger(TimerQueue.name);
  readonly connection: Redis;
  readonly queue: Queue;

  constructor(@Inject(ORCHESTRATOR_CONFIG) readonly config: OrchestratorConfig) {
    this.connection = new Redis(config.REDIS_URL, { ...failFastRedisOptions(), lazyConnect: false });
    this.connection.on('error', (error) => this.logger.warn({ err: error }, 'redis connection error'));
    this.queue = new Queue(TIMER_QUEUE_NAME, {
      connection: this.connection,
      prefix: config.QUEUE_PREFIX,
      defaultJobOptions: { removeOnComplete: true, removeOnFail: true },
    });
  }

  async add(
    job: TimerJob,
    options: { delayMs?: number; jobId?: string; retry?: boolean } = {},
  ): Promise<void> {
    await withinBound(
      this.queue.add(
        job.name,
        withTraceContext(job.data),
        jobOptions(options, this.config.TIMER_JOB_ATTEMPTS),
      ),
    );
  }

  /** Several jobs in one Redis round trip (a transaction's timers and registry updates). */
  async addBulk(jobs: { job: TimerJob; delayMs?: number; jobId?: string }[]): Promise<void> {
    if (jobs.length === 0) return;
    await withinBound(
      this.queue.addBulk(
        jobs.map(({ job, delayMs, jobId }) => ({
          name: job.name,
          // The arming transaction's trace context, continued when the job runs (docs/adr/0091-opentelemetry-tracing.md).
          data: withTraceContext(job.data),
          opts: jobOptions({ delayMs, jobId }, this.config.TIMER_JOB_ATTEMPTS),
        })),
      ),
    );
  }

  /** Removes failed jobs still kept in Redis, so that their ids can be armed again. */
  async dropFailed(): Promise<number> {
    return (await withinBound(this.queue.clean(0, 10_000, 'failed'))).length;
  }

  async onModuleDestroy(): Promise<void> {
    try {
      // Bounded too: shutting down must not wait for a Redis that is down.
      await withinBound(this.queue.close());
    } catch (error) {
      this.logger.warn({ err: error }, 'timer queue closed without Redis');
    } finally {
      this.connection.disconnect();
    }
  }
}

/**
 * Until the queue's connection was ready once, BullMQ waits for it without limit (the fail-fast options
 * apply only after that): bound the wait, so that a caller never hangs on a Redis that is down. A job
 * added after the bound is harmless (deterministic ids, idempotent handlers).
 */
async function withinBound<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Redis did not take the timer job within ${REDIS_COMMAND_TIMEOUT_MS} ms`)),
      REDIS_COMMAND_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([work, bound]);
  } finally {
    clearTimeout(timer);
  }
}

function jobOptions(
  options: { delayMs?: number; jobId?: string; retry?: boolean },
  attempts: number,
): JobsOptions {
  return {
    delay: Math.max(0, Math.round(options.delayMs ?? 0)),
    jobId: options.jobId,
    // Transaction conflicts or Redis hiccups are retried; the handlers are idempotent.
    attempts: options.retry === false ? 1 : attempts,
    backoff: { type: 'exponential', delay: 200 },
  };
}
