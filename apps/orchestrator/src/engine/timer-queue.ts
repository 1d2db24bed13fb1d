import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Queue } from 'bullmq';
import type { JobsOptions } from 'bullmq';
import Redis from 'ioredis';
import { ORCHESTRATOR_CONFIG, OrchestratorConfig } from '../config';

export const TIMER_QUEUE_NAME = 'orchestrator-timers';

export type TimerJob =
  | { name: 'advance'; data: { executionId: string } }
  | { name: 'validate'; data: { executionId: string } }
  | { name: 'health-deadline'; data: { executionId: string; instanceId: string; commandId: string } }
  | { name: 'registry-sync'; data: { tenantId: string; executionId: string; instanceIds: string[] } };

/**
 * Timers and retried side effects as BullMQ jobs in Redis, so that a batch delay, a health-check
 * deadline or a registry update survives an orchestrator restart and runs on whichever replica is up
 * (ADR 0043). Job ids are deterministic where a duplicate would be harmful: adding the same timer twice
 * (after a restart, or from two replicas) keeps one.
 */
@Injectable()
export class TimerQueue implements OnModuleDestroy {
  private readonly logger = new Logger(TimerQueue.name);
  readonly connection: Redis;
  readonly queue: Queue;

  constructor(@Inject(ORCHESTRATOR_CONFIG) readonly config: OrchestratorConfig) {
    this.connection = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: false });
    this.connection.on('error', (error) => this.logger.warn({ err: error }, 'redis connection error'));
    this.queue = new Queue(TIMER_QUEUE_NAME, {
      connection: this.connection,
      prefix: config.QUEUE_PREFIX,
      defaultJobOptions: { removeOnComplete: true, removeOnFail: 1000 },
    });
  }

  async add(
    job: TimerJob,
    options: { delayMs?: number; jobId?: string; retry?: boolean } = {},
  ): Promise<void> {
    await this.queue.add(job.name, job.data, jobOptions(options));
  }

  /** Several jobs in one Redis round trip (a transaction's timers: one health deadline per instance). */
  async addBulk(jobs: { job: TimerJob; delayMs?: number; jobId?: string }[]): Promise<void> {
    if (jobs.length === 0) return;
    await this.queue.addBulk(
      jobs.map(({ job, delayMs, jobId }) => ({
        name: job.name,
        data: job.data,
        opts: jobOptions({ delayMs, jobId }),
      })),
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.queue.close();
    this.connection.disconnect();
  }
}

function jobOptions(options: { delayMs?: number; jobId?: string; retry?: boolean }): JobsOptions {
  return {
    delay: Math.max(0, Math.round(options.delayMs ?? 0)),
    jobId: options.jobId,
    // Transaction conflicts or Redis hiccups are retried; the handlers are idempotent.
    attempts: options.retry === false ? 1 : 10,
    backoff: { type: 'exponential', delay: 200 },
  };
}
