import { createServiceRegistry, cumulativeCounter } from '@upshift/metrics';
import { Counter, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { ConsumerStats } from '../consumer/command-consumer';
import { agentErrorClass } from './agent-error-class';

/** Agent calls take from milliseconds (a local agent) to the call timeout (WORKER_AGENT_TIMEOUT_MS). */
const AGENT_CALL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The worker's metrics, served on its probe port (docs/adr/0086-metrics-endpoints.md): every agent call
 * (each attempt, retries included) and what became of the commands it took.
 */
export class WorkerMetrics {
  readonly registry: Registry = createServiceRegistry('worker');

  private readonly callDuration = new Histogram({
    name: 'upshift_agent_call_duration_seconds',
    help: 'Calls (attempts) to instance agents, by operation and result (ok or error), and how long they took',
    labelNames: ['operation', 'result'] as const,
    buckets: AGENT_CALL_BUCKETS,
    registers: [this.registry],
  });

  private readonly callErrors = new Counter({
    name: 'upshift_agent_call_errors_total',
    help: 'Agent calls (attempts) that failed, by operation and error class',
    labelNames: ['operation', 'error'] as const,
    registers: [this.registry],
  });

  /** The consumer's own counts, read at scrape time. */
  observeConsumer(stats: ConsumerStats): void {
    const outcomes: [string, keyof ConsumerStats][] = [
      ['executed', 'executed'],
      ['replayed', 'replayed'],
      ['dead_lettered', 'deadLettered'],
      ['abandoned', 'abandoned'],
      ['lease_lost', 'leaseLost'],
      ['stale_refused', 'staleRefused'],
    ];
    cumulativeCounter(
      this.registry,
      {
        name: 'upshift_worker_commands_total',
        help: 'Commands this worker took from upgrade.commands, by what became of them',
        labelNames: ['result'] as const,
      },
      () => outcomes.map(([result, key]) => ({ labels: { result }, value: stats[key] })),
    );
    cumulativeCounter(
      this.registry,
      {
        name: 'upshift_worker_reports_published_total',
        help: 'Step reports this worker published on upgrade.results',
        labelNames: [] as const,
      },
      () => [{ labels: {}, value: stats.reports }],
    );
  }

  /** Times `call`, one agent call, under `operation`. */
  async measure<T>(operation: string, call: () => Promise<T>): Promise<T> {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const value = await call();
      this.callDuration.observe({ operation, result: 'ok' }, seconds());
      return value;
    } catch (error) {
      this.callDuration.observe({ operation, result: 'error' }, seconds());
      this.callErrors.inc({ operation, error: agentErrorClass(error) });
      throw error;
    }
  }
}
