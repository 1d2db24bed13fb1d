import { Inject, Injectable, Logger } from '@nestjs/common';
import { Worker } from 'bullmq';
import type { Job } from 'bullmq';
import Redis from 'ioredis';
import { inSpan } from '@upshift/tracing';
import { ORCHESTRATOR_CONFIG, OrchestratorConfig } from '../config';
import { ExecutionEngine } from './execution-engine';
import { ExecutionStore } from './execution.store';
import { TIMER_QUEUE_NAME } from './timer-queue';
import type { TimerJob } from './timer-queue';
import { RegistrySync } from './registry-sync';
import { ValidationRunner } from './validation-runner';

/** Runs the timer jobs on whichever replica takes them; every handler re-reads Postgres under the lock. */
@Injectable()
export class TimerWorker {
  private readonly logger = new Logger(TimerWorker.name);
  private worker: Worker | null = null;
  private connection: Redis | null = null;

  constructor(
    @Inject(ORCHESTRATOR_CONFIG) private readonly config: OrchestratorConfig,
    private readonly store: ExecutionStore,
    private readonly engine: ExecutionEngine,
    private readonly validation: ValidationRunner,
    private readonly registrySync: RegistrySync,
  ) {}

  start(): void {
    this.connection = new Redis(this.config.REDIS_URL, {
      maxRetriesPerRequest: null,
      disconnectTimeout: 200,
    });
    this.connection.on('error', (error) => this.logger.warn({ err: error }, 'redis connection error'));
    // Each job continues the trace of the transaction that armed it (docs/adr/0091-opentelemetry-tracing.md).
    const run = (job: Job) =>
      inSpan(`timer ${job.name}`, { parent: job.data as unknown }, () => this.handle(job as Job & TimerJob));
    this.worker = new Worker(TIMER_QUEUE_NAME, run, {
      connection: this.connection,
      prefix: this.config.QUEUE_PREFIX,
      concurrency: 16,
    });
    this.worker.on('failed', (job, error) => {
      const context = { err: error, job: job?.name, id: job?.id, data: job?.data as unknown };
      // The last attempt: the job is removed (ADR 0077), so this line is its only record.
      if (job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1)) {
        this.logger.error(context, 'timer job failed for good; removed, the recovery sweep re-arms it');
      } else {
        this.logger.warn(context, 'timer job failed; retried');
      }
    });
    this.worker.on('error', (error) => this.logger.warn({ err: error }, 'timer worker error'));
  }

  async stop(): Promise<void> {
    await this.worker?.close();
    this.connection?.disconnect();
    this.worker = null;
  }

  private async handle(job: TimerJob): Promise<void> {
    switch (job.name) {
      case 'validate':
        await this.validation.run(job.data.executionId);
        return;
      case 'advance':
        await this.store.withLocked(job.data.executionId, (tx) => this.engine.advance(tx));
        return;
      case 'command-deadline': {
        const { executionId } = job.data;
        const issuedAt = new Date(job.data.issuedAt);
        // Nearly every deadline finds its group long answered: look first without the lock and lock the
        // execution only when a command of the group may still be pending.
        if (!(await this.store.commandsPendingSince(executionId, issuedAt))) return;
        await this.store.withLocked(executionId, (tx) => this.engine.commandDeadline(tx, issuedAt));
        return;
      }
      case 'registry-sync':
        // Idempotent: it sends what Postgres still owes for these instances, so a retry is safe.
        await this.registrySync.deliver(job.data.tenantId, job.data.instanceIds);
        return;
    }
  }
}
