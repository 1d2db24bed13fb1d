import { type ChildProcess, spawn } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { Kafka, logLevel, type Producer } from 'kafkajs';

jest.setTimeout(120_000);

const ROOT = path.join(__dirname, '..', '..', '..');
const TOPIC = 'durability.stream';
const PARTITIONS = 3;

interface BrokerProcess {
  child: ChildProcess;
  address: string;
  exited: Promise<NodeJS.Signals | number | null>;
}

/** Starts the broker CLI as a child process and waits for its "listening on HOST:PORT" line. */
async function startBrokerProcess(dataDir: string): Promise<BrokerProcess> {
  const child = spawn(
    process.execPath,
    [
      '-r',
      '@swc-node/register',
      'libs/kafka-broker/src/cli.ts',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--fsync',
      'interval',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code)),
  );
  let output = '';
  const address = await new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      output += d.toString();
      const match = /listening on (\S+:\d+)/.exec(output);
      if (match) resolve(match[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) =>
      reject(new Error(`broker exited before listening (${String(code)}):\n${output}`)),
    );
  });
  child.stdout?.resume();
  child.stderr?.resume();
  return { child, address, exited };
}

const payload = (id: string): string => `${id}|${'x'.repeat(200)}|${id}`;

/**
 * Produces to every partition in parallel (one idempotent, acks=all send at a time per partition)
 * until `stop()` is called or a send fails; returns the ids that were acknowledged.
 */
function produceStream(
  producer: Producer,
  round: number,
): { acked: Set<string>; stop: () => void; done: Promise<void> } {
  const acked = new Set<string>();
  let stopped = false;
  const loops = Array.from({ length: PARTITIONS }, async (_, partition) => {
    for (let n = 0; !stopped; n++) {
      const ids = Array.from({ length: 25 }, (_, i) => `${round}-${partition}-${n}-${i}`);
      try {
        await producer.send({
          topic: TOPIC,
          acks: -1,
          messages: ids.map((id) => ({ key: id, value: payload(id), partition })),
        });
      } catch {
        return; // the broker is gone: this batch was not acknowledged
      }
      ids.forEach((id) => acked.add(id));
    }
  });
  return {
    acked,
    stop: () => {
      stopped = true;
    },
    done: Promise.all(loops).then(() => undefined),
  };
}

/** Reads every partition from the beginning up to its high watermark. */
async function consumeAll(kafka: Kafka): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(TOPIC);
  await admin.disconnect();
  const remaining = new Map(ends.map((e) => [e.partition, BigInt(e.high)]));
  const seen: string[] = [];
  const consumer = kafka.consumer({ groupId: `durability-check-${Date.now()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const finishIfDone = (): void => {
      if ([...remaining.values()].every((high) => high <= 0n)) resolve();
    };
    finishIfDone();
    consumer
      .run({
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) {
            const value = message.value?.toString() ?? '';
            const [id, , check] = value.split('|');
            if (id !== check || value !== payload(id))
              throw new Error(`corrupt message at ${batch.partition}:${message.offset}`);
            seen.push(id);
          }
          const high = ends.find((e) => e.partition === batch.partition)?.high ?? '0';
          const last = BigInt(batch.lastOffset()) + 1n;
          remaining.set(batch.partition, BigInt(high) - last);
          finishIfDone();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return seen;
}

describe('durability: SIGKILL during a produce stream', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'upshift-durability-'));
  let broker: BrokerProcess | undefined;

  afterAll(async () => {
    if (broker && broker.child.exitCode === null && broker.child.signalCode === null) {
      broker.child.kill('SIGTERM');
      await broker.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged message exactly once across two kill -9 and restart cycles', async () => {
    const acknowledged = new Set<string>();
    for (let round = 0; round < 2; round++) {
      broker = await startBrokerProcess(dataDir);
      const kafka = new Kafka({
        clientId: `durability-${round}`,
        brokers: [broker.address],
        logLevel: logLevel.NOTHING,
        retry: { retries: 1, initialRetryTime: 50, maxRetryTime: 100 },
      });
      if (round === 0) {
        const admin = kafka.admin();
        await admin.connect();
        await admin.createTopics({
          topics: [{ topic: TOPIC, numPartitions: PARTITIONS }],
          waitForLeaders: true,
        });
        await admin.disconnect();
      }
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const stream = produceStream(producer, round);
      // Let the stream get going, then kill the broker while sends are in flight.
      const target = 3000 + round * 1000;
      while (stream.acked.size < target) await new Promise((resolve) => setTimeout(resolve, 5));
      broker.child.kill('SIGKILL');
      expect(await broker.exited).toBe('SIGKILL');
      stream.stop();
      await stream.done;
      await producer.disconnect().catch(() => undefined);
      stream.acked.forEach((id) => acknowledged.add(id));
    }

    broker = await startBrokerProcess(dataDir);
    const kafka = new Kafka({
      clientId: 'durability-check',
      brokers: [broker.address],
      logLevel: logLevel.NOTHING,
    });
    const seen = await consumeAll(kafka);
    const counts = new Map<string, number>();
    for (const id of seen) counts.set(id, (counts.get(id) ?? 0) + 1);
    const missing = [...acknowledged].filter((id) => !counts.has(id));
    const duplicated = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
    expect(missing).toEqual([]);
    expect(duplicated).toEqual([]);
    expect(acknowledged.size).toBeGreaterThanOrEqual(7000);

    // The restarted broker keeps appending after what it recovered.
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const [result] = await producer.send({
      topic: TOPIC,
      acks: -1,
      messages: [{ value: payload('after'), partition: 0 }],
    });
    await producer.disconnect();
    const partition0 = seen.filter((id) => id.split('-')[1] === '0').length;
    expect(BigInt(result.baseOffset ?? '-1')).toBe(BigInt(partition0));

    broker.child.kill('SIGTERM');
    expect(await broker.exited).toBe(0);
  });
});
