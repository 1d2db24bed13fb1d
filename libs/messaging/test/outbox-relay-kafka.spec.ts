import 'reflect-metadata';
import { randomUUID } from 'crypto';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { DataSource } from 'typeorm';
import type { Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';
import pino from 'pino';
import {
  DeadLetterSchema,
  InstanceCommandResultSchema,
  ProgressEventSchema,
  Topics,
  parseEnvelope,
  progressMessage,
  resultMessage,
} from '@upshift/contracts';
import type { InstanceCommandResult, OutboundMessage } from '@upshift/contracts';
import { startBroker } from '@upshift/kafka-broker';
import type { RunningBroker } from '@upshift/kafka-broker';
import { createTestDatabase, eventually } from '@upshift/testing';
import type { TestDatabase } from '@upshift/testing';
import {
  IdempotentConsumer,
  OutboxRelay,
  PermanentMessageError,
  checkKafka,
  createKafka,
  createOrderedProducer,
  enqueueOutbox,
  ensureTopics,
  outboxTableSql,
  processedMessagesTableSql,
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
  let broker: RunningBroker;
  let dataDir: string;
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
    await dataSource.query(processedMessagesTableSql(SCHEMA));
    await dataSource.query(`CREATE TABLE ${SCHEMA}.applied (command_id uuid, envelope_id uuid)`);
    dataDir = mkdtempSync(path.join(tmpdir(), 'upshift-messaging-'));
    broker = await startBroker({ port: 0, dataDir });
    kafka = createKafka({
      clientId: 'messaging-test',
      brokers: [`127.0.0.1:${broker.port}`],
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
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  beforeEach(async () => {
    // Each test starts from an empty outbox; earlier tests' messages stay on the topic and are filtered.
    await dataSource.query(`DELETE FROM ${SCHEMA}.outbox`);
  });

  it('reports the cluster as up, and a missing broker as down within the timeout', async () => {
    expect(await checkKafka(kafka)).toMatchObject({ status: 'up', brokers: 1 });
    const nowhere = createKafka({
      clientId: 'nowhere',
      brokers: ['127.0.0.1:1'],
      logger: silent,
      retry: { retries: 0 },
    });
    const health = await checkKafka(nowhere, { timeoutMs: 1_000 });
    expect(health.status).toBe('down');
    expect(health.latencyMs).toBeLessThan(5_000);
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

    function result(executionId: string): InstanceCommandResult {
      return {
        commandId: randomUUID(),
        executionId,
        tenantId: 't1',
        instanceId: randomUUID(),
        type: 'UPGRADE' as InstanceCommandResult['type'],
        outcome: 'SUCCEEDED' as InstanceCommandResult['outcome'],
        reason: null,
        observedVersion: '2.0.0',
        startedAt: new Date().toISOString(),
        finishedAt: new Date().toISOString(),
        durationMs: 3,
        workerId: 'w1',
      };
    }

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

    it('IdempotentConsumer applies each envelope once and parks bad messages on the DLQ', async () => {
      const executionId = randomUUID();
      const good = resultMessage(result(executionId));
      const other = resultMessage(result(executionId));
      const refused = resultMessage(result(executionId));
      const consumer = new IdempotentConsumer({
        kafka,
        groupId: `orchestrator-test-${randomUUID()}`,
        topics: [Topics.RESULTS],
        dataSchema: InstanceCommandResultSchema,
        schema: SCHEMA,
        transaction: (work) => dataSource.transaction(work),
        source: '/upshift/orchestrator',
        logger: silent,
        fromBeginning: true,
        consumerConfig: { maxWaitTimeInMs: 100 },
        handle: async (envelope, manager) => {
          if (envelope.id === refused.value.id) throw new PermanentMessageError('command is unknown');
          await manager.query(`INSERT INTO ${SCHEMA}.applied (command_id, envelope_id) VALUES ($1, $2)`, [
            envelope.data.commandId,
            envelope.id,
          ]);
        },
      });
      const send = (value: string) =>
        producer.send({ topic: Topics.RESULTS, messages: [{ key: executionId, value }] });
      await send(JSON.stringify(good.value));
      await send(JSON.stringify(good.value)); // redelivered: same envelope id
      await send('{"specversion":"1.0"'); // not JSON
      await send(JSON.stringify({ ...other.value, data: { ...other.value.data, outcome: 'MAYBE' } })); // bad payload
      await send(JSON.stringify(refused.value));
      await send(JSON.stringify(other.value));
      await consumer.start();
      try {
        await eventually(
          () => {
            const m = consumer.metrics();
            return m.processed + m.duplicates + m.deadLettered >= 6 ? m : undefined;
          },
          { timeoutMs: 20_000, what: 'six results consumed' },
        );
        expect(consumer.metrics()).toMatchObject({ processed: 2, duplicates: 1, deadLettered: 3 });
        const applied = await dataSource.query<{ envelope_id: string }[]>(
          `SELECT envelope_id FROM ${SCHEMA}.applied ORDER BY envelope_id`,
        );
        expect(applied.map((r) => r.envelope_id).sort()).toEqual([good.value.id, other.value.id].sort());
        const letters = await eventually(
          () => {
            const mine = dlqSeen.filter((m) => m.key?.toString() === executionId);
            return mine.length >= 3 ? mine : undefined;
          },
          { what: 'three dead letters' },
        );
        const errors = letters.map((m) => parseEnvelope(m.value, DeadLetterSchema).data.error);
        expect(errors.map((e) => e.name)).toEqual([
          'InvalidMessageError',
          'InvalidMessageError',
          'PermanentMessageError',
        ]);
        expect(errors[1]?.problems.map((p) => p.path)).toContain('/data/outcome');
      } finally {
        await consumer.stop();
      }
    }, 40_000);
  });
});
