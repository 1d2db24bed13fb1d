import 'reflect-metadata';
import { randomUUID } from 'crypto';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { Topics, parseEnvelope, progressMessage, ProgressEventSchema } from '@upshift/contracts';
import { startBroker } from '@upshift/kafka-broker';
import { defineCli, runCli } from '@upshift/cli';
import {
  benchFloor,
  createTestDatabase,
  FLOOR_CLI_OPTIONS,
  printBenchResult,
  ratioToFloor,
} from '@upshift/testing';
import { OutboxRelay, createKafka, enqueueOutbox, ensureTopics, outboxTableSql } from '../src';

/**
 * `npm run bench:outbox`: how fast one OutboxRelay drains a backlog into the embedded broker, and the
 * commit → consumer latency of single-row transactions (NOTIFY wake-up). Prints figures; asserts nothing.
 * Options: `npm run bench:outbox -- --help` (the BENCH_* variables still work as defaults).
 */
const OUTBOX_BENCH_CLI = defineCli({
  command: 'npm run bench:outbox --',
  summary:
    'How fast one OutboxRelay drains a backlog into the embedded broker, and the commit → consumer\n' +
    'latency of single-row transactions.',
  options: {
    backlog: { type: 'integer', default: 20_000, min: 10, env: 'BENCH_BACKLOG', description: 'backlog rows' },
    singles: {
      type: 'integer',
      default: 300,
      min: 1,
      env: 'BENCH_SINGLES',
      description: 'single-row transactions timed',
    },
    brokers: {
      type: 'string',
      placeholder: 'HOST:PORT,…',
      env: 'BENCH_KAFKA_BROKERS',
      description: 'a broker in another process or a real cluster instead of an embedded one',
    },
    ...FLOOR_CLI_OPTIONS,
  },
});
// Before anything starts: --help and a wrong flag end the process here.
const { values: options } = runCli(OUTBOX_BENCH_CLI);
const SCHEMA = 'bench';
const BACKLOG = options.backlog;
const SINGLES = options.singles;
const silent = pino({ level: 'silent' });

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  // First, on a machine nothing of the bench loads yet.
  const floor = await benchFloor(options);
  const db = await createTestDatabase('bench_outbox');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'upshift-bench-outbox-'));
  // --brokers measures against a broker in another process (or a real cluster).
  const external = options.brokers;
  const broker = external ? null : await startBroker({ port: 0, dataDir });
  const dataSource = new DataSource({ type: 'postgres', url: db.url, entities: [] });
  await dataSource.initialize();
  const kafka = createKafka({
    clientId: 'bench-outbox',
    brokers: external ? external.split(',') : [`127.0.0.1:${broker?.port ?? 0}`],
    logger: silent,
  });
  const relay = new OutboxRelay({
    schema: SCHEMA,
    connection: db.url,
    kafka,
    logger: silent,
    chunkSize: 500,
  });
  try {
    await dataSource.query(outboxTableSql(SCHEMA));
    await ensureTopics(kafka, { partitions: 3 });

    // 1. Backlog: rows written while no relay runs, 10 per transaction across 100 executions.
    const executions = Array.from({ length: 100 }, () => randomUUID());
    const sequences = new Map(executions.map((e) => [e, 0]));
    for (let written = 0; written < BACKLOG; written += 10) {
      await dataSource.transaction((manager) =>
        enqueueOutbox(
          manager,
          SCHEMA,
          Array.from({ length: 10 }, (_, i) => {
            const executionId = executions[(written + i) % executions.length] ?? '';
            const sequence = (sequences.get(executionId) ?? 0) + 1;
            sequences.set(executionId, sequence);
            return progressMessage({
              executionId,
              tenantId: 'bench',
              sequence,
              data: { kind: 'TranscriptLine', line: `instance ${written + i} upgraded` },
            });
          }),
        ),
      );
    }
    const started = process.hrtime.bigint();
    await relay.start();
    await relay.flush(120_000);
    const drainMs = Number(process.hrtime.bigint() - started) / 1e6;

    // 2. Latency: single-row transactions while the relay idles, measured at a consumer.
    const latencies: number[] = [];
    const consumer = kafka.consumer({ groupId: `bench-${randomUUID()}`, maxWaitTimeInMs: 10 });
    await consumer.connect();
    await consumer.subscribe({ topic: Topics.PROGRESS, fromBeginning: false });
    const marker = randomUUID();
    const committedAt = new Map<number, number>();
    await consumer.run({
      eachMessage: async ({ message }) => {
        const envelope = parseEnvelope(message.value, ProgressEventSchema);
        const at = committedAt.get(envelope.sequence);
        if (envelope.executionid === marker && at !== undefined) latencies.push(performance.now() - at);
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // let the group settle on the latest offsets
    for (let sequence = 1; sequence <= SINGLES; sequence += 1) {
      await dataSource.transaction(async (manager) => {
        await enqueueOutbox(manager, SCHEMA, [
          progressMessage({
            executionId: marker,
            tenantId: 'bench',
            sequence,
            data: { kind: 'TranscriptLine', line: 'x' },
          }),
        ]);
        // Just before COMMIT: the NOTIFY (and so the relay) may beat the resolution of this promise.
        committedAt.set(sequence, performance.now());
      });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const deadline = Date.now() + 15_000;
    while (latencies.length < SINGLES && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await consumer.disconnect();
    const sorted = [...latencies].sort((a, b) => a - b);
    const rowsPerSecond = Math.round(BACKLOG / (drainMs / 1000));

    console.log(
      JSON.stringify(
        {
          bench: 'outbox-relay',
          broker: external ?? 'embedded, in this process',
          backlogRows: BACKLOG,
          drainMs: Math.round(drainMs),
          rowsPerSecond,
          singleRowTransactions: SINGLES,
          received: latencies.length,
          commitToConsumerMs: {
            p50: Number(percentile(sorted, 50).toFixed(1)),
            p99: Number(percentile(sorted, 99).toFixed(1)),
            max: Number((sorted[sorted.length - 1] ?? NaN).toFixed(1)),
          },
          relay: relay.metrics(),
        },
        null,
        2,
      ),
    );
    printBenchResult('outbox', floor, {
      rowsPerSec: rowsPerSecond,
      rowsPerFloorReq: ratioToFloor(rowsPerSecond, floor),
      commitToConsumerP99Ms: Number(percentile(sorted, 99).toFixed(1)),
    });
  } finally {
    await relay.stop();
    await dataSource.destroy();
    await broker?.stop();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
