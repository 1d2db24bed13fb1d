import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ConsumerGroups, Topics } from '@upshift/contracts';
import { TERMINAL_STATUSES } from '@upshift/domain';
import { registerOutboxMetrics } from '@upshift/messaging';
import type { OutboxRelay } from '@upshift/messaging';
import { CachedSample, createServiceRegistry, cumulativeCounter } from '@upshift/metrics';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { ORCHESTRATOR_CONFIG, OrchestratorConfig } from '../config';
import { SCHEMA } from '../database/entities';
import type { ExecutionTransaction } from '../engine/execution-transaction';
import { KafkaClients } from '../engine/kafka-clients';
import { activeStatusSeries, consumerLag, stepSeconds } from './metric-math';
import type { ActiveStatusRow, ActiveStatusSeries } from './metric-math';

/** What the metrics read of the engine: its outbox relay and the results consumer's counts. */
export interface EngineParts {
  relay: () => OutboxRelay | null;
  results: () => { applied: number; ignored: number; deadLettered: number } | null;
}

/** Postgres and Kafka are asked at most this often for the gauges, however often Prometheus scrapes. */
const SAMPLE_MAX_AGE_MS = 5_000;

/** Steps and commands take from milliseconds (a simulated fleet) to minutes (a real health check). */
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

const ACTIVE_EXECUTIONS_SQL = `
SELECT status, count(*)::int AS n,
       extract(epoch FROM clock_timestamp() - min(updated_at))::float8 AS oldest_update_age_seconds
  FROM ${SCHEMA}.execution
 WHERE status NOT IN (${TERMINAL_STATUSES.map((s) => `'${s}'`).join(', ')})
 GROUP BY status`.trim();

/**
 * The orchestrator's metrics (docs/adr/0086-metrics-endpoints.md). What the engine applies is recorded
 * from its transactions' observations after they commit (`recordCommitted`); what Postgres and Kafka
 * know (executions per status, the outbox backlog, the results consumer's lag) is read when Prometheus
 * scrapes, at most every SAMPLE_MAX_AGE_MS.
 */
@Injectable()
export class OrchestratorMetrics {
  private readonly logger = new Logger(OrchestratorMetrics.name);
  readonly registry: Registry = createServiceRegistry('orchestrator');
  private engine: EngineParts = { relay: () => null, results: () => null };

  private readonly stepDuration = new Histogram({
    name: 'upshift_instance_step_duration_seconds',
    help: "Instance steps applied from workers' reports, by step and outcome, as long as the worker timed them",
    labelNames: ['step', 'outcome'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  private readonly dispatchToResult = new Histogram({
    name: 'upshift_command_dispatch_to_result_seconds',
    help: "From a command's dispatch (its transaction) to the commit of its final result, by command type and outcome",
    labelNames: ['type', 'outcome'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  private readonly rollbacks = new Counter({
    name: 'upshift_rollbacks_total',
    help: 'Rollbacks started, by reason: failure_threshold, canary_unhealthy or manual',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  private readonly finished = new Counter({
    name: 'upshift_executions_finished_total',
    help: 'Executions that reached a terminal status here, by that status',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  constructor(
    @Inject(ORCHESTRATOR_CONFIG) config: OrchestratorConfig,
    @InjectDataSource() dataSource: DataSource,
    kafka: KafkaClients,
  ) {
    const onError = (what: string) => (error: unknown) =>
      this.logger.warn({ err: error }, `could not read ${what} for the metrics; reporting the last value`);
    const active = new CachedSample<ActiveStatusSeries[]>(
      async () => activeStatusSeries((await dataSource.query(ACTIVE_EXECUTIONS_SQL)) as ActiveStatusRow[]),
      { maxAgeMs: SAMPLE_MAX_AGE_MS, initial: activeStatusSeries([]), onError: onError('executions') },
    );
    new Gauge({
      name: 'upshift_executions',
      help: 'Executions in each non-terminal status (from Postgres)',
      labelNames: ['status'] as const,
      registers: [this.registry],
      async collect() {
        for (const s of await active.get()) this.set({ status: s.status }, s.executions);
      },
    });
    new Gauge({
      name: 'upshift_execution_oldest_update_age_seconds',
      help: 'Per non-terminal status, seconds since the least recently changed execution in it last changed',
      labelNames: ['status'] as const,
      registers: [this.registry],
      async collect() {
        for (const s of await active.get()) this.set({ status: s.status }, s.oldestUpdateAgeSeconds);
      },
    });
    if (config.ENGINE_ENABLED) {
      const lag = new CachedSample<number>(
        async () => {
          const [committed, watermarks] = await Promise.all([
            kafka.admin.fetchOffsets({ groupId: ConsumerGroups.ORCHESTRATOR, topics: [Topics.RESULTS] }),
            kafka.admin.fetchTopicOffsets(Topics.RESULTS),
          ]);
          return consumerLag(committed[0]?.partitions ?? [], watermarks);
        },
        { maxAgeMs: SAMPLE_MAX_AGE_MS, initial: 0, onError: onError('the results consumer lag') },
      );
      new Gauge({
        name: 'upshift_results_consumer_lag_messages',
        help: 'Messages on upgrade.results the orchestrators (group upshift-orchestrator) have not committed yet',
        registers: [this.registry],
        async collect() {
          this.set(await lag.get());
        },
      });
    }
    cumulativeCounter(
      this.registry,
      {
        name: 'upshift_results_total',
        help: 'Results read from upgrade.results, by verdict: applied, ignored (duplicate, late) or dead_lettered',
        labelNames: ['verdict'] as const,
      },
      () => {
        const counts = this.engine.results();
        if (counts === null) return [];
        return [
          { labels: { verdict: 'applied' }, value: counts.applied },
          { labels: { verdict: 'ignored' }, value: counts.ignored },
          { labels: { verdict: 'dead_lettered' }, value: counts.deadLettered },
        ];
      },
    );
    registerOutboxMetrics(this.registry, {
      schema: SCHEMA,
      relay: () => this.engine.relay(),
      query: (text) => dataSource.query(text),
      refreshMs: SAMPLE_MAX_AGE_MS,
      onError: onError('the outbox backlog'),
    });
  }

  /** The engine's parts whose own counts the metrics read (main.ts, once the app is built). */
  attachEngine(engine: EngineParts): void {
    this.engine = engine;
  }

  /** What a committed transaction observed (ExecutionStore, after the commit). */
  recordCommitted(tx: ExecutionTransaction): void {
    const committedAt = Date.now();
    for (const o of tx.observations) {
      switch (o.kind) {
        case 'step': {
          const seconds = stepSeconds(o.startedAt, o.finishedAt);
          if (seconds !== null) this.stepDuration.observe({ step: o.step, outcome: o.outcome }, seconds);
          break;
        }
        case 'command-answered':
          this.dispatchToResult.observe(
            { type: o.type, outcome: o.outcome },
            Math.max(0, committedAt - o.issuedAt.getTime()) / 1000,
          );
          break;
        case 'rollback-started':
          this.rollbacks.inc({ reason: o.trigger });
          break;
      }
    }
    for (const event of tx.events) {
      if (event.kind === 'ExecutionStatusChanged' && TERMINAL_STATUSES.includes(event.to)) {
        this.finished.inc({ status: event.to });
      }
    }
  }
}
