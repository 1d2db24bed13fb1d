import 'reflect-metadata';
import { randomBytes, randomUUID } from 'crypto';
import { DataSource } from 'typeorm';
import type { Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';
import pino from 'pino';
import {
  DeadLetterSchema,
  ProgressEventSchema,
  Topics,
  parseEnvelope,
  progressMessage,
} from '@upshift/contracts';
import type { OutboundMessage } from '@upshift/contracts';
import { createTestDatabase, eventually, startTestBroker } from '@upshift/testing';
import type { TestBroker, TestDatabase } from '@upshift/testing';
import {
  OutboxRelay,
  createKafka,
  createOrderedProducer,
  enqueueOutbox,
  ensureTopics,
  outboxTableSql,
  sendToDlq,
} from '../src';
import type { OutboxRelayOptions } from '../src';

const SCHEMA = 'svc';
jest.setTimeout(30_000);
const silent = pino({ level: 'silent' });

type SeenMessage = KafkaMessage & { partition: number };

interface Received {
  key: string;
  outboxId: string;
  contentType: string;
  executionId: string;
  sequence: number;
  partition: number;
  offset: string;
}

/** Collects everything published on a topic, from the beginning, with its own consumer group. */
async function collect(kafka: Kafka, topic: string, into: SeenMessage[]): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId: `collector-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      into.push(Object.assign(message, { partition }));
    },
  });
  return consumer;
}

function describeProgress(message: SeenMessage): Received {
  const envelope = parseEnvelope(message.value, ProgressEventSchema);
  return {
    key: message.key?.toString() ?? '',
    outboxId: message.headers?.['upshift-outbox-id']?.toString() ?? '',
    contentType: message.headers?.['content-type']?.toString() ?? '',
    executionId: envelope.executionid,
    sequence: envelope.sequence,
    partition: message.partition,
    offset: message.offset,
  };
}

function progress(executionId: string, sequence: number): OutboundMessage {
  return progressMessage({
    executionId,
    tenantId: 't1',
    sequence,
    data: { kind: 'TranscriptLine', line: `step ${sequence}` },
  });
}

describe('OutboxRelay and consumers against the embedded broker', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let broker: TestBroker;
  let kafka: Kafka;
  const progressSeen: SeenMessage[] = [];
  const consumers: Consumer[] = [];
  const relays: OutboxRelay[] = [];

  const relay = (extra: Partial<OutboxRelayOptions> = {}) => {
    const r = new OutboxRelay({
      schema: SCHEMA,
      connection: db.url,
      kafka,
      logger: silent,
      pollIntervalMs: 200,
      leaderRetryMs: 100,
      ...extra,
    });
    relays.push(r);
    return r;
  };
  const receivedFor = (executionIds: Set<string>) =>
    progressSeen.map((m) => describeProgress(m)).filter((r) => executionIds.has(r.executionId));

  beforeAll(async () => {
    db = await createTestDatabase('messaging_kafka');
    dataSource = new DataSource({ type: 'postgres', url: db.url, entities: [] });
    await dataSource.initialize();
    await dataSource.query(outboxTableSql(SCHEMA));
    broker = await startTestBroker({ label: 'messaging' });
    kafka = createKafka({
      clientId: 'messaging-test',
      brokers: broker.brokers,
      logger: silent,
    });
    await ensureTopics(kafka, { partitions: 3 });
    consumers.push(await collect(kafka, Topics.PROGRESS, progressSeen));
  }, 60_000);

  afterAll(async () => {
    for (const r of relays) await r.stop();
    for (const c of consumers) await c.disconnect();
    await dataSource?.destroy();
    await db?.drop();
    await broker?.stop();
  }, 60_000);

  beforeEach(async () => {
    // Each test starts from an empty outbox; earlier tests' messages stay on the topic and are filtered.
    await dataSource.query(`DELETE FROM ${SCHEMA}.outbox`);
  });

  it('publishes in id order: every execution sees its sequence 1..n in order, keyed by execution', async () => {
    const executions = [randomUUID(), randomUUID(), randomUUID()];
    // Interleaved transactions, as concurrent executions produce them.
    for (let sequence = 1; sequence <= 40; sequence += 1) {
      await dataSource.transaction((manager) =>
        enqueueOutbox(
          manager,
          SCHEMA,
          executions.map((id) => progress(id, sequence)),
        ),
      );
    }
    const r = relay({ chunkSize: 25 });
    await r.start();
    await r.flush();
    const wanted = new Set(executions);
    await eventually(() => (receivedFor(wanted).length >= 120 ? true : undefined), {
      what: '120 progress events',
    });
    const received = receivedFor(wanted);
    expect(received).toHaveLength(120);
    for (const executionId of executions) {
      const mine = received.filter((m) => m.executionId === executionId);
      expect(mine.map((m) => m.sequence)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(mine.every((m) => m.key === executionId)).toBe(true);
    }
    expect(received[0]?.contentType).toBe('application/cloudevents+json; charset=UTF-8');
    expect(r.metrics()).toMatchObject({ leader: true, published: 120, pendingRows: expect.any(Number) });
    await r.stop();
  });

  it('wakes on NOTIFY: a row committed while the relay idles is published without waiting for the poll', async () => {
    const r = relay({ pollIntervalMs: 60_000 });
    await r.start();
    const executionId = randomUUID();
    await dataSource.transaction((manager) => enqueueOutbox(manager, SCHEMA, [progress(executionId, 1)]));
    await eventually(() => (receivedFor(new Set([executionId])).length === 1 ? true : undefined), {
      timeoutMs: 5_000,
      what: 'the NOTIFY-driven publication',
    });
    await r.stop();
  });

  it('publishes every row exactly once across a relay restart', async () => {
    const executionId = randomUUID();
    const before = 1_000;
    const after = 100;
    await dataSource.transaction((manager) =>
      enqueueOutbox(
        manager,
        SCHEMA,
        Array.from({ length: before }, (_, i) => progress(executionId, i + 1)),
      ),
    );
    // Small chunks, so that the stop lands in the middle of the backlog.
    const first = relay({ chunkSize: 5 });
    await first.start();
    await eventually(() => (first.metrics().published >= 50 ? true : undefined), {
      what: '50 rows published',
    });
    await first.stop();
    const publishedByFirst = first.metrics().published;
    expect(publishedByFirst).toBeLessThan(before);

    await dataSource.transaction((manager) =>
      enqueueOutbox(
        manager,
        SCHEMA,
        Array.from({ length: after }, (_, i) => progress(executionId, before + 1 + i)),
      ),
    );
    const second = relay({ chunkSize: 50 });
    await second.start();
    await second.flush();
    expect(publishedByFirst + second.metrics().published).toBe(before + after);

    const wanted = new Set([executionId]);
    await eventually(() => (receivedFor(wanted).length >= before + after ? true : undefined), {
      what: `${before + after} events`,
    });
    await new Promise((resolve) => setTimeout(resolve, 300)); // room for a duplicate to show up
    const received = receivedFor(wanted);
    expect(received.map((m) => m.sequence)).toEqual(Array.from({ length: before + after }, (_, i) => i + 1));
    expect(new Set(received.map((m) => m.outboxId)).size).toBe(before + after);
    await second.stop();
  });

  it('splits a chunk of large rows into requests the broker accepts (message.max.bytes is 1 MiB)', async () => {
    const executionId = randomUUID();
    const big = (sequence: number) =>
      progressMessage({
        executionId,
        tenantId: 't1',
        sequence,
        data: { kind: 'TranscriptLine', line: 'y'.repeat(150_000) },
      });
    await dataSource.transaction((manager) =>
      enqueueOutbox(
        manager,
        SCHEMA,
        Array.from({ length: 20 }, (_, i) => big(i + 1)),
      ),
    );
    const r = relay({ chunkSize: 50 });
    await r.start();
    await r.flush();
    expect(r.metrics()).toMatchObject({ published: 20, errors: 0 });
    const wanted = new Set([executionId]);
    await eventually(() => (receivedFor(wanted).length >= 20 ? true : undefined), {
      what: '20 large events',
    });
    expect(receivedFor(wanted).map((m) => m.sequence)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await r.stop();
  });

  it('sends a single row over the request limit gzip-compressed (ADR 0025), in order, each row once', async () => {
    const executionId = randomUUID();
    const line = (sequence: number, length: number) =>
      progressMessage({
        executionId,
        tenantId: 't1',
        sequence,
        // A fleet-sized snapshot is repetitive JSON: it compresses well below the 1 MiB limit.
        data: { kind: 'TranscriptLine', line: 'instance upgraded; '.repeat(Math.ceil(length / 19)) },
      });
    await dataSource.transaction((manager) =>
      enqueueOutbox(manager, SCHEMA, [line(1, 10), line(2, 1_600_000), line(3, 10)]),
    );
    const r = relay({ chunkSize: 50 });
    await r.start();
    await r.flush();
    expect(r.metrics()).toMatchObject({ published: 3, errors: 0 });
    const wanted = new Set([executionId]);
    await eventually(() => (receivedFor(wanted).length >= 3 ? true : undefined), { what: 'the three rows' });
    // Nothing republished: exactly three messages, in order.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receivedFor(wanted).map((m) => m.sequence)).toEqual([1, 2, 3]);
    const bigOne = progressSeen.find(
      (m) => describeProgress(m).executionId === executionId && describeProgress(m).sequence === 2,
    );
    expect(bigOne?.value?.length).toBeGreaterThan(1_600_000);
    await r.stop();
  });

  it('judges a row by its UTF-8 bytes, not its characters: multi-byte text the broker refuses is reported', async () => {
    // 800,000 random CJK characters (3 bytes each in UTF-8): fewer characters than maxRequestBytes
    // (900,000) but 2.4 MB on the wire, and random text stays above the broker's 1 MiB even gzipped.
    const random = randomBytes(800_000 * 2);
    const text = Array.from({ length: 800_000 }, (_, i) =>
      String.fromCharCode(0x4e00 + (random.readUInt16LE(i * 2) % 20_992)),
    ).join('');
    const reports: Record<string, unknown>[] = [];
    const capture = pino(
      { level: 'error' },
      { write: (line: string) => void reports.push(JSON.parse(line) as Record<string, unknown>) },
    );
    await dataSource.transaction((manager) =>
      enqueueOutbox(manager, SCHEMA, [
        progressMessage({
          executionId: randomUUID(),
          tenantId: 't1',
          sequence: 1,
          data: { kind: 'TranscriptLine', line: text },
        }),
      ]),
    );
    const [row] = await dataSource.query<{ id: string; chars: number; bytes: number }[]>(
      `SELECT id::text AS id, char_length(payload::text) AS chars, octet_length(payload::text) AS bytes
         FROM ${SCHEMA}.outbox`,
    );
    expect(row?.chars).toBeLessThan(900_000);
    expect(row?.bytes).toBeGreaterThan(900_000);

    const r = relay({ logger: capture, maxBackoffMs: 500 });
    await r.start();
    const report = await eventually(() => reports.find((entry) => entry['event'] === 'relay.oversized'), {
      timeoutMs: 15_000,
      what: 'the relay.oversized report',
    });
    expect(report).toMatchObject({ id: row?.id, bytes: row?.bytes });
    await r.stop();
    // It blocks the outbox, as ADR 0025 says; nothing was published or marked.
    expect(r.metrics()).toMatchObject({ published: 0 });
    expect(r.metrics().errors).toBeGreaterThan(0);
    const [still] = await dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM ${SCHEMA}.outbox WHERE published_at IS NULL`,
    );
    expect(still?.n).toBe(1);
  });

  it('with two relays on one schema, only the leader publishes; the other takes over when it stops', async () => {
    const a = relay({ chunkSize: 20 });
    const b = relay({ chunkSize: 20 });
    await a.start();
    await b.start();
    expect([a.isLeader, b.isLeader]).toEqual([true, false]);

    const executionId = randomUUID();
    await dataSource.transaction((manager) =>
      enqueueOutbox(
        manager,
        SCHEMA,
        Array.from({ length: 100 }, (_, i) => progress(executionId, i + 1)),
      ),
    );
    await b.flush();
    expect([a.metrics().published, b.metrics().published]).toEqual([100, 0]);

    await a.stop();
    await eventually(() => (b.isLeader ? true : undefined), { what: 'the standby to take over' });
    await dataSource.transaction((manager) =>
      enqueueOutbox(
        manager,
        SCHEMA,
        Array.from({ length: 50 }, (_, i) => progress(executionId, 101 + i)),
      ),
    );
    await b.flush();
    expect(b.metrics().published).toBe(50);

    const wanted = new Set([executionId]);
    await eventually(() => (receivedFor(wanted).length >= 150 ? true : undefined), { what: '150 events' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receivedFor(wanted).map((m) => m.sequence)).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
    await b.stop();
  });

  describe('consumers', () => {
    let producer: Producer;
    const dlqSeen: SeenMessage[] = [];

    beforeAll(async () => {
      producer = createOrderedProducer(kafka);
      await producer.connect();
      consumers.push(await collect(kafka, Topics.DLQ, dlqSeen));
    }, 30_000);

    afterAll(async () => {
      await producer.disconnect();
    });

    it('sends unusable messages to upgrade.dlq with the error and the original bytes', async () => {
      const key = randomUUID();
      const letter = await sendToDlq(producer, {
        originalTopic: Topics.RESULTS,
        key,
        value: Buffer.from([0xff, 0xfe, 0x00]),
        error: new Error('boom'),
        partition: 2,
        offset: '17',
        consumerGroup: 'upshift-orchestrator',
        source: '/upshift/orchestrator',
      });
      expect(letter.valueEncoding).toBe('base64');
      const found = await eventually(() => dlqSeen.find((m) => m.key?.toString() === key), {
        what: 'the dead letter',
      });
      const parsed = parseEnvelope(found.value, DeadLetterSchema);
      expect(parsed.data).toMatchObject({
        originalTopic: Topics.RESULTS,
        originalPartition: 2,
        originalOffset: '17',
        value: Buffer.from([0xff, 0xfe, 0x00]).toString('base64'),
        error: { name: 'Error', message: 'boom' },
      });
    });
  });
});
