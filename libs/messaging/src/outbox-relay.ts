import { Client } from 'pg';
import type { ClientConfig } from 'pg';
import { CLOUDEVENTS_CONTENT_TYPE } from '@upshift/contracts';
import { CompressionTypes } from 'kafkajs';
import type { Kafka, Producer, TopicMessages } from 'kafkajs';
import { SpanKind, startSpan, tracingEnabled } from '@upshift/tracing';
import { crashPoint, processCrashPointsFromEnv } from './crash-point';
import { createOrderedProducer } from './kafka';
import { defaultLogger } from './logger';
import type { Logger } from './logger';
import { OutboxHousekeeping } from './outbox-housekeeping';
import { OutboxLeadership } from './outbox-leadership';
import { OutboxWakeup } from './outbox-wakeup';
import { quoteSchema } from './sql';

export interface OutboxRelayOptions {
  /** The service schema whose `outbox` table this relay publishes. */
  schema: string;
  /**
   * How to reach Postgres. The relay keeps one dedicated session: the advisory lock that makes it the
   * leader lives exactly as long as that session, and LISTEN needs a session too.
   */
  connection: string | ClientConfig;
  kafka: Kafka;
  logger?: Logger;
  /** Rows read, sent and marked per round trip. */
  chunkSize?: number;
  /** Fallback poll when no NOTIFY arrives (a missed notification, or rows written by other means). */
  pollIntervalMs?: number;
  /** How often a standby relay tries to take over leadership. */
  leaderRetryMs?: number;
  /** Published rows older than this are deleted; 0 keeps them forever. */
  retentionMs?: number;
  /** Upper bound of the back-off after a Kafka or Postgres error. */
  maxBackoffMs?: number;
  /**
   * Payload bytes per produce request. A chunk of large rows (execution snapshots) is sent as several
   * requests, so that no record batch exceeds the broker's message.max.bytes (1 MiB by default).
   */
  maxRequestBytes?: number;
  /**
   * Requests carrying more than this many payload bytes are gzip-compressed; by default
   * `maxRequestBytes`, so only a single row too large for a request of its own is (a snapshot of an
   * execution with 10,000 instances is 1.6 MB of JSON, and the broker's limit applies to the compressed
   * record batch). Compressing everything costs more CPU (gzip here, gunzip in every consumer) than it
   * saves on CRCs and copies for rows of a few hundred bytes.
   */
  compressAboveBytes?: number;
}

export interface OutboxRelayMetrics {
  schema: string;
  leader: boolean;
  /** Rows this relay has published since it started. */
  published: number;
  chunks: number;
  errors: number;
  lastPublishedAt: Date | null;
  /** created_at → acknowledged by Kafka, for the last row of the last chunk. */
  lastPublishLagMs: number | null;
  /** Unpublished rows and the age of the oldest, as of the last measurement (leader only). */
  pendingRows: number;
  oldestPendingAgeMs: number;
}

interface OutboxRow {
  id: string;
  topic: string;
  message_key: string;
  headers: Record<string, string> | null;
  payload: string;
  /** Age of the row when it was read, and when (Date.now()) that was. */
  age_ms: number;
  /** The envelope's trace context (CloudEvents distributed tracing), read only when tracing is on. */
  traceparent?: string | null;
  tracestate?: string | null;
  read_at: number;
}

/**
 * Consecutive runs of rows whose payloads add up to at most `maxBytes` (a larger row goes alone), with
 * each run's payload bytes.
 */
export function splitByBytes<R extends { payload: string }>(
  rows: readonly R[],
  maxBytes: number,
): { rows: R[]; bytes: number }[] {
  const requests: { rows: R[]; bytes: number }[] = [];
  let current: R[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = Buffer.byteLength(row.payload);
    if (current.length > 0 && bytes + size > maxBytes) {
      requests.push({ rows: current, bytes });
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += size;
  }
  if (current.length > 0) requests.push({ rows: current, bytes });
  return requests;
}

const LAG_MEASURE_INTERVAL_MS = 1_000;

/**
 * Publishes `<schema>.outbox` to Kafka in id order and marks rows published (ADR 0021). It composes
 * the leadership session (`OutboxLeadership`), the waits between passes (`OutboxWakeup`) and the
 * pruning of old rows (`OutboxHousekeeping`); the publishing itself is here.
 *
 * - Leadership: a session-level `pg_try_advisory_lock`; only the holder publishes, others retry every
 *   `leaderRetryMs`. If the session dies, Postgres releases the lock and a standby takes over.
 * - Order: a chunk is read in id order, sent with one idempotent producer (one request in flight),
 *   and marked only after Kafka acknowledged it; the next chunk is read after that. Unpublished rows
 *   are selected afresh each time (no high-water mark), so a transaction that commits a lower id late
 *   is still published.
 * - Delivery is at least once: a crash between Kafka's ack and the UPDATE republishes that chunk, and
 *   consumers dedupe by a natural key (the orchestrator by command id, ADR 0042; progress consumers by
 *   `sequence`).
 */
export class OutboxRelay {
  private readonly schema: string;
  private readonly table: string;
  private readonly logger: Logger;
  private readonly chunkSize: number;
  private readonly pollIntervalMs: number;
  private readonly leaderRetryMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxRequestBytes: number;
  private readonly compressAboveBytes: number;
  private readonly leadership: OutboxLeadership;
  private readonly wakeup = new OutboxWakeup();
  private readonly housekeeping: OutboxHousekeeping;

  private producer: Producer | null = null;
  private running = false;
  private loop: Promise<void> | null = null;
  private lastLagMeasure = 0;
  /** Rows published since start, per topic (the metrics' `upshift_outbox_published_total`). */
  private readonly publishedByTopic = new Map<string, number>();
  private readonly stats: Omit<OutboxRelayMetrics, 'schema' | 'leader'> = {
    published: 0,
    chunks: 0,
    errors: 0,
    lastPublishedAt: null,
    lastPublishLagMs: null,
    pendingRows: 0,
    oldestPendingAgeMs: 0,
  };

  constructor(private readonly options: OutboxRelayOptions) {
    // A bad UPSHIFT_CRASH_POINT fails the service's start-up here, not at the first pass (ADR 0083).
    processCrashPointsFromEnv();
    this.schema = options.schema;
    this.table = `${quoteSchema(options.schema)}.outbox`;
    this.logger = (options.logger ?? defaultLogger('outbox-relay')).child({
      component: 'outbox-relay',
      schema: options.schema,
    });
    this.chunkSize = options.chunkSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.leaderRetryMs = options.leaderRetryMs ?? 2_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 5_000;
    this.maxRequestBytes = options.maxRequestBytes ?? 900_000;
    this.compressAboveBytes = options.compressAboveBytes ?? this.maxRequestBytes;
    this.leadership = new OutboxLeadership({
      schema: options.schema,
      connection: options.connection,
      logger: this.logger,
      onNotification: () => this.wakeup.wake(),
    });
    this.housekeeping = new OutboxHousekeeping(
      this.table,
      options.retentionMs ?? 24 * 60 * 60 * 1_000,
      this.logger,
    );
  }

  get isLeader(): boolean {
    return this.leadership.isLeader;
  }

  metrics(): OutboxRelayMetrics {
    return { schema: this.schema, leader: this.leadership.isLeader, ...this.stats };
  }

  /** Rows this relay published since it started, per topic. */
  publishedPerTopic(): ReadonlyMap<string, number> {
    return this.publishedByTopic;
  }

  /**
   * Starts the relay loop. Resolves after the first leadership attempt, so `isLeader` is meaningful;
   * failures after that are logged and retried, never thrown.
   */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.wakeup.restart();
    const firstAttempt = new Promise<void>((resolve) => {
      this.loop = this.run(resolve);
    });
    await firstAttempt;
  }

  /** Finishes the chunk in flight, releases leadership and closes its connections. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wakeup.stop();
    await this.loop;
    this.loop = null;
    await this.releaseLeadership('stopped');
    await this.leadership.close();
  }

  /**
   * Resolves once every row committed before the call is published (by this relay or whichever holds
   * leadership). For tests and graceful shutdown.
   */
  async flush(timeoutMs = 10_000): Promise<void> {
    const probe = new Client(this.options.connection);
    await probe.connect();
    try {
      const { rows } = await probe.query<{ max: string | null }>(
        `SELECT max(id)::text AS max FROM ${this.table}`,
      );
      const upTo = rows[0]?.max;
      if (upTo === null || upTo === undefined) return;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        this.wakeup.wake();
        const pending = await probe.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${this.table} WHERE published_at IS NULL AND id <= $1`,
          [upTo],
        );
        const n = pending.rows[0]?.n ?? 0;
        if (n === 0) return;
        if (Date.now() > deadline) {
          throw new Error(
            `outbox ${this.schema}: ${n} rows up to id ${upTo} still unpublished after ${timeoutMs} ms ` +
              `(leader here: ${this.leadership.isLeader}; check the relay logs for Kafka or Postgres errors)`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      await probe.end();
    }
  }

  private async run(started: () => void): Promise<void> {
    let backoffMs = 100;
    let firstAttemptDone = false;
    const markStarted = () => {
      if (!firstAttemptDone) {
        firstAttemptDone = true;
        started();
      }
    };
    while (this.running) {
      try {
        await this.leadership.session();
        if (!this.leadership.isLeader) await this.leadership.tryAcquire();
        markStarted();
        if (!this.leadership.isLeader) {
          await this.wakeup.sleep(this.leaderRetryMs);
          continue;
        }
        await this.publishPass();
        backoffMs = 100;
        await this.measureLag();
        await this.housekeeping.pruneIfDue(await this.leadership.session());
        await this.wakeup.waitForWork(this.pollIntervalMs);
      } catch (error) {
        markStarted();
        this.stats.errors += 1;
        this.logger.warn({ err: error, backoffMs }, 'outbox relay cycle failed; retrying');
        await this.recoverFrom(error);
        await this.wakeup.sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, this.maxBackoffMs);
      }
    }
    markStarted();
  }

  /** UNLISTEN and unlock (if leader), then drop the producer: a follower keeps no Kafka connection. */
  private async releaseLeadership(reason: string): Promise<void> {
    const wasLeader = await this.leadership.release();
    await this.closeProducer();
    if (wasLeader) this.logger.info({ event: 'relay.follower', reason }, 'outbox relay released leadership');
  }

  private async ensureProducer(): Promise<Producer> {
    if (this.producer) return this.producer;
    const producer = createOrderedProducer(this.options.kafka);
    await producer.connect();
    this.producer = producer;
    return producer;
  }

  private async closeProducer(): Promise<void> {
    const producer = this.producer;
    this.producer = null;
    if (producer) await producer.disconnect().catch(() => undefined);
  }

  /**
   * One pass over the unpublished rows, oldest first, until a chunk comes back short. Kafka sees chunk
   * N+1 only after it acknowledged chunk N; around that strict order the Postgres work is overlapped:
   * the next chunk is read, and the previous one marked, while a chunk is in flight to Kafka. Within a
   * pass the reads continue after the last id sent; each new pass starts again from the lowest
   * unpublished id, which picks up transactions that committed a lower id late.
   * Returns how many rows the pass published.
   */
  private async publishPass(): Promise<number> {
    let published = 0;
    let marking: Promise<void> = Promise.resolve();
    let next: Promise<OutboxRow[]> | null = this.readChunk(null);
    try {
      while (next) {
        const rows: OutboxRow[] = await next;
        if (rows.length === 0) break;
        const last = rows[rows.length - 1];
        next = rows.length === this.chunkSize && this.running && last ? this.readChunk(last.id) : null;
        next?.catch(() => undefined); // awaited on the next turn; this only prevents an unhandled rejection
        // Each acknowledged request is marked at once (while the next one is in flight), so a failure
        // later in the chunk (an oversized row, a broker error) does not republish what Kafka already has.
        await this.sendChunk(rows, async (request) => {
          await marking;
          marking = this.markPublished(request);
          marking.catch(() => undefined);
        });
        published += rows.length;
      }
    } finally {
      await marking;
    }
    return published;
  }

  private async readChunk(afterId: string | null): Promise<OutboxRow[]> {
    const client = await this.leadership.session();
    const { rows } = await client.query<OutboxRow>(
      // Order by the bigint column, qualified: a bare `id` would sort by the text alias below.
      `SELECT o.id::text AS id, o.topic, o.message_key, o.headers, o.payload::text AS payload,${
        tracingEnabled()
          ? " o.payload->>'traceparent' AS traceparent, o.payload->>'tracestate' AS tracestate,"
          : ''
      }
              (extract(epoch FROM clock_timestamp() - o.created_at) * 1000)::float8 AS age_ms
         FROM ${this.table} o
        WHERE o.published_at IS NULL AND ($2::bigint IS NULL OR o.id > $2::bigint)
        ORDER BY o.id LIMIT $1`,
      [this.chunkSize, afterId],
    );
    const readAt = Date.now();
    for (const row of rows) row.read_at = readAt;
    return rows;
  }

  private async sendChunk(rows: OutboxRow[], acked: (request: OutboxRow[]) => Promise<void>): Promise<void> {
    const producer = await this.ensureProducer();
    // Sequential requests, each after the previous one's ack: the order holds across them.
    for (const { rows: request, bytes } of splitByBytes(rows, this.maxRequestBytes)) {
      try {
        // Committed and read, not yet in Kafka: a chaos run may die here (ADR 0083).
        crashPoint('outbox.before-publish');
        const spans = this.publishSpans(request);
        try {
          await producer.sendBatch({
            acks: -1,
            topicMessages: this.toTopicMessages(request),
            ...(bytes > this.compressAboveBytes ? { compression: CompressionTypes.GZIP } : {}),
          });
        } finally {
          for (const span of spans) span.end();
        }
        // In Kafka, not yet marked published: the next leader publishes these rows again.
        crashPoint('outbox.after-publish');
        await acked(request);
      } catch (error) {
        // `bytes` is what splitByBytes counted (UTF-8 bytes, as they go on the wire): judging the row by
        // its characters instead would miss a row of multi-byte text that the split sent on its own.
        const oversized = request.length === 1 && bytes > this.maxRequestBytes;
        if (oversized) {
          // Skipping it would break the order; it blocks the outbox until an operator acts.
          this.logger.error(
            { event: 'relay.oversized', id: request[0]?.id, bytes },
            'an outbox row is larger than the broker accepts; raise message.max.bytes or delete the row',
          );
        }
        throw error;
      }
    }
    const ackedAt = Date.now();
    const last = rows[rows.length - 1];
    this.stats.published += rows.length;
    for (const row of rows)
      this.publishedByTopic.set(row.topic, (this.publishedByTopic.get(row.topic) ?? 0) + 1);
    this.stats.chunks += 1;
    this.stats.lastPublishedAt = new Date(ackedAt);
    this.stats.lastPublishLagMs = last ? Math.round(last.age_ms + (ackedAt - last.read_at)) : null;
    this.logger.debug(
      {
        event: 'relay.published',
        rows: rows.length,
        firstId: rows[0]?.id,
        lastId: last?.id,
        lagMs: this.stats.lastPublishLagMs,
      },
      'published outbox chunk',
    );
  }

  /**
   * With tracing on, one PRODUCER span per row that carries a trace context, a child of the span of the
   * transaction that wrote the row: the publication joins the trace of the request that caused it. The
   * envelope is sent as committed (not rewritten with this span), so consumers continue from the writer.
   */
  private publishSpans(rows: readonly OutboxRow[]) {
    if (!tracingEnabled()) return [];
    const spans = [];
    for (const row of rows) {
      if (!row.traceparent) continue;
      const span = startSpan(`${row.topic} publish`, {
        kind: SpanKind.PRODUCER,
        parent: { traceparent: row.traceparent, tracestate: row.tracestate ?? undefined },
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'publish',
          'messaging.destination.name': row.topic,
          'messaging.kafka.message.key': row.message_key,
          'upshift.outbox.id': `${this.schema}:${row.id}`,
        },
      });
      if (span) spans.push(span);
    }
    return spans;
  }

  private async markPublished(rows: OutboxRow[]): Promise<void> {
    const client = await this.leadership.session();
    await client.query(`UPDATE ${this.table} SET published_at = now() WHERE id = ANY($1::bigint[])`, [
      rows.map((r) => r.id),
    ]);
  }

  /** Rows grouped per topic, each topic's messages in id order (one request keeps that order). */
  private toTopicMessages(rows: OutboxRow[]): TopicMessages[] {
    const byTopic = new Map<string, TopicMessages>();
    for (const row of rows) {
      let entry = byTopic.get(row.topic);
      if (!entry) {
        entry = { topic: row.topic, messages: [] };
        byTopic.set(row.topic, entry);
      }
      entry.messages.push({
        key: row.message_key,
        value: row.payload,
        headers: {
          ...(row.headers ?? {}),
          'content-type': CLOUDEVENTS_CONTENT_TYPE,
          'upshift-outbox-id': `${this.schema}:${row.id}`,
        },
      });
    }
    return [...byTopic.values()];
  }

  private async measureLag(force = false): Promise<void> {
    if (!force && Date.now() - this.lastLagMeasure < LAG_MEASURE_INTERVAL_MS) return;
    this.lastLagMeasure = Date.now();
    const client = await this.leadership.session();
    const { rows } = await client.query<{ n: number; age_ms: number | null }>(
      `SELECT count(*)::int AS n,
              (extract(epoch FROM clock_timestamp() - min(created_at)) * 1000)::float8 AS age_ms
         FROM ${this.table} WHERE published_at IS NULL`,
    );
    this.stats.pendingRows = rows[0]?.n ?? 0;
    this.stats.oldestPendingAgeMs = Math.round(rows[0]?.age_ms ?? 0);
  }

  /**
   * After a failure: a Kafka error leaves the idempotent producer's sequence state unknown, so it is
   * replaced; a Postgres error may have killed the session (and the lock with it), so leadership is
   * re-acquired from scratch.
   */
  private async recoverFrom(_error: unknown): Promise<void> {
    await this.closeProducer();
    await this.leadership.dropIfDead();
  }
}
