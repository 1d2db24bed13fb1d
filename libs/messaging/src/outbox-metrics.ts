import { CachedSample, cumulativeCounter } from '@upshift/metrics';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { OutboxRelay } from './outbox-relay';
import { outboxBacklogQuery } from './outbox-sql';

export interface OutboxMetricsOptions {
  schema: string;
  /** The service's relay; null while it has none (the orchestrator's engine not started). */
  relay: () => OutboxRelay | null;
  /** Runs a query on the service's own pool (TypeORM's `dataSource.query`). */
  query: (text: string) => Promise<unknown[]>;
  /** Backlog read at most this often, however often Prometheus scrapes. */
  refreshMs?: number;
  onError?: (error: unknown) => void;
}

interface Backlog {
  pending: number;
  oldestAgeSeconds: number;
}

/**
 * The outbox's metrics (ADR 0021, docs/adr/0086-metrics-endpoints.md): the backlog from Postgres, which
 * every replica reports alike whoever leads (so an outbox with no leader at all still shows its age
 * growing); and the relay's own counts, which only the leader's grow.
 */
export function registerOutboxMetrics(registry: Registry, options: OutboxMetricsOptions): void {
  const backlog = new CachedSample<Backlog>(
    async () => {
      const rows = (await options.query(outboxBacklogQuery(options.schema))) as {
        pending: number | string;
        oldest_age_seconds: number | string;
      }[];
      return {
        pending: Number(rows[0]?.pending ?? 0),
        oldestAgeSeconds: Number(rows[0]?.oldest_age_seconds ?? 0),
      };
    },
    {
      maxAgeMs: options.refreshMs ?? 5_000,
      initial: { pending: 0, oldestAgeSeconds: 0 },
      onError: options.onError,
    },
  );
  new Gauge({
    name: 'upshift_outbox_pending_rows',
    help: 'Outbox rows committed and not yet published to Kafka',
    registers: [registry],
    async collect() {
      this.set((await backlog.get()).pending);
    },
  });
  new Gauge({
    name: 'upshift_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest outbox row not yet published to Kafka (0 when none)',
    registers: [registry],
    async collect() {
      this.set((await backlog.get()).oldestAgeSeconds);
    },
  });
  new Gauge({
    name: 'upshift_outbox_relay_leader',
    help: "1 when this process's relay holds the outbox leadership lock and publishes, else 0",
    registers: [registry],
    collect() {
      this.set(options.relay()?.isLeader === true ? 1 : 0);
    },
  });
  cumulativeCounter(
    registry,
    {
      name: 'upshift_outbox_published_total',
      help: 'Outbox rows this relay published to Kafka, per topic',
      labelNames: ['topic'] as const,
    },
    () =>
      [...(options.relay()?.publishedPerTopic() ?? new Map<string, number>())].map(([topic, value]) => ({
        labels: { topic },
        value,
      })),
  );
  cumulativeCounter(
    registry,
    {
      name: 'upshift_outbox_relay_errors_total',
      help: 'Relay cycles that failed (Kafka or Postgres errors) and were retried',
      labelNames: [] as const,
    },
    () => [{ labels: {}, value: options.relay()?.metrics().errors ?? 0 }],
  );
}
