/**
 * `npm run bench:broker`: end-to-end throughput of the embedded broker with kafkajs.
 *
 * Starts the broker CLI in a child process on a fresh data directory, produces MESSAGES messages of
 * 1 KiB with a kafkajs producer in send() calls of BATCH messages (acks=1, no compression) to a topic
 * of 3 partitions, then reads them all back with a kafkajs consumer group. Prints messages/s and MB/s
 * each way, produce latency per send() (p50/p99), and the CPU seconds spent by the broker process
 * (from /proc/<pid>/stat) and by this client process (process.cpuUsage()) in each phase.
 *
 * Options: `npm run bench:broker -- --help` (the BENCH_* variables still work as defaults).
 */
import { type ChildProcess, execFileSync, spawn } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import * as os from 'os';
import { tmpdir } from 'os';
import * as path from 'path';
import { Kafka, logLevel } from 'kafkajs';
import { defineCli, runCli } from '@upshift/cli';
import { benchFloor, FLOOR_CLI_OPTIONS, printBenchResult, ratioToFloor } from '@upshift/testing';

const BROKER_BENCH_CLI = defineCli({
  command: 'npm run bench:broker --',
  summary:
    'Throughput of the embedded broker (its CLI in a child process) with kafkajs: produce, then consume\n' +
    'everything back; messages/s, MB/s, produce latency per send() and CPU seconds of each side.',
  options: {
    messages: { type: 'integer', default: 200_000, min: 1, env: 'BENCH_MESSAGES', description: 'messages' },
    batch: { type: 'integer', default: 500, min: 1, env: 'BENCH_BATCH', description: 'messages per send()' },
    'message-bytes': {
      type: 'integer',
      default: 1024,
      min: 1,
      env: 'BENCH_MESSAGE_BYTES',
      description: 'bytes per message',
    },
    'in-flight': {
      type: 'integer',
      default: 1,
      min: 1,
      env: 'BENCH_IN_FLIGHT',
      description: 'concurrent send() calls',
    },
    fsync: {
      type: 'enum',
      values: ['always', 'interval', 'never'],
      default: 'interval',
      env: 'BENCH_FSYNC',
      description: "the broker's --fsync",
    },
    ...FLOOR_CLI_OPTIONS,
  },
});
// Before anything starts: --help and a wrong flag end the process here.
const { values: options } = runCli(BROKER_BENCH_CLI);
const MESSAGES = options.messages;
const BATCH = options.batch;
const MESSAGE_BYTES = options['message-bytes'];
const IN_FLIGHT = options['in-flight'];
const FSYNC = options.fsync;
const PARTITIONS = 3;
const TOPIC = 'bench.broker';
const ROOT = path.join(__dirname, '..', '..', '..');
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat fields 14 and 15. */
function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; fields after it are space-separated.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

const clientCpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function startBroker(dataDir: string): Promise<{ child: ChildProcess; address: string }> {
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
      FSYNC,
      '--log-level',
      'warn',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
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
    child.on('exit', (code) => reject(new Error(`broker exited (${code}):\n${output}`)));
  });
  child.stdout?.resume();
  child.stderr?.resume();
  return { child, address };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(): Promise<void> {
  // First, on a machine nothing of the bench loads yet.
  const floor = await benchFloor(options);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'upshift-bench-broker-'));
  const { child, address } = await startBroker(dataDir);
  const pid = child.pid ?? 0;
  const kafka = new Kafka({ clientId: 'bench', brokers: [address], logLevel: logLevel.NOTHING });
  try {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true });
    await admin.disconnect();

    const value = Buffer.alloc(MESSAGE_BYTES, 'x');
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    // Warm-up (connections, metadata, JIT), not counted.
    await producer.send({
      topic: TOPIC,
      acks: 1,
      messages: Array.from({ length: BATCH }, () => ({ value })),
    });

    const sends = Math.ceil(MESSAGES / BATCH);
    const latencies: number[] = [];
    const brokerCpu0 = processCpuSeconds(pid);
    const clientCpu0 = clientCpuSeconds();
    const produceStart = process.hrtime.bigint();
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < sends) {
          const i = next++;
          const count = Math.min(BATCH, MESSAGES - i * BATCH);
          const messages = Array.from({ length: count }, () => ({ value }));
          const t0 = process.hrtime.bigint();
          await producer.send({ topic: TOPIC, acks: 1, messages });
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        }
      }),
    );
    const produceSeconds = Number(process.hrtime.bigint() - produceStart) / 1e9;
    const produceBrokerCpu = processCpuSeconds(pid) - brokerCpu0;
    const produceClientCpu = clientCpuSeconds() - clientCpu0;
    await producer.disconnect();

    const total = MESSAGES + BATCH; // the warm-up batch is read back too
    const consumer = kafka.consumer({ groupId: `bench-${Date.now()}`, maxBytes: 50 * 1024 * 1024 });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    const brokerCpu1 = processCpuSeconds(pid);
    const clientCpu1 = clientCpuSeconds();
    const consumeStart = process.hrtime.bigint();
    let firstFetchAt = 0n;
    let received = 0;
    let bytes = 0;
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            if (firstFetchAt === 0n) firstFetchAt = process.hrtime.bigint();
            received += batch.messages.length;
            for (const m of batch.messages) bytes += m.value?.length ?? 0;
            if (received >= total) resolve();
          },
        })
        .catch(reject);
    });
    const consumeEnd = process.hrtime.bigint();
    const consumeBrokerCpu = processCpuSeconds(pid) - brokerCpu1;
    const consumeClientCpu = clientCpuSeconds() - clientCpu1;
    await consumer.disconnect();

    const consumeSeconds = Number(consumeEnd - firstFetchAt) / 1e9;
    const joinMs = Number(firstFetchAt - consumeStart) / 1e6;
    latencies.sort((a, b) => a - b);
    const mb = (MESSAGES * MESSAGE_BYTES) / 1e6;
    const perMessageUs = (cpu: number, n: number): string => fmt((cpu / n) * 1e6, 2);
    console.log(
      `broker bench: ${fmt(MESSAGES)} messages × ${MESSAGE_BYTES} B, send() batches of ${BATCH}, ${IN_FLIGHT} in flight, acks=1, ${PARTITIONS} partitions, fsync=${FSYNC}`,
    );
    console.log(
      `produce: ${fmt(MESSAGES / produceSeconds)} msg/s, ${fmt(mb / produceSeconds, 1)} MB/s, latency per send() p50 ${fmt(percentile(latencies, 50), 1)} ms, p99 ${fmt(percentile(latencies, 99), 1)} ms`,
    );
    console.log(
      `         CPU broker ${fmt(produceBrokerCpu, 2)} s (${perMessageUs(produceBrokerCpu, MESSAGES)} µs/msg), client ${fmt(produceClientCpu, 2)} s (${perMessageUs(produceClientCpu, MESSAGES)} µs/msg)`,
    );
    console.log(
      `consume: ${fmt(total / consumeSeconds)} msg/s, ${fmt(bytes / 1e6 / consumeSeconds, 1)} MB/s (from the first fetch; group join took ${fmt(joinMs)} ms)`,
    );
    console.log(
      `         CPU broker ${fmt(consumeBrokerCpu, 2)} s (${perMessageUs(consumeBrokerCpu, total)} µs/msg), client ${fmt(consumeClientCpu, 2)} s (${perMessageUs(consumeClientCpu, total)} µs/msg)`,
    );
    // Wall-clock rates depend on what else runs on the machine; CPU per message does not. This is the
    // rate each phase would reach with one idle core per process, limited by the busier one.
    const ceiling = (brokerCpu: number, clientCpu: number, n: number): string =>
      fmt(n / Math.max(brokerCpu, clientCpu));
    console.log(
      `CPU-bound ceiling with an idle core per process: produce ${ceiling(produceBrokerCpu, produceClientCpu, MESSAGES)} msg/s, consume ${ceiling(consumeBrokerCpu, consumeClientCpu, total)} msg/s; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`,
    );
    console.log(
      JSON.stringify({
        messages: MESSAGES,
        messageBytes: MESSAGE_BYTES,
        batch: BATCH,
        inFlight: IN_FLIGHT,
        fsync: FSYNC,
        produce: {
          msgPerSec: Math.round(MESSAGES / produceSeconds),
          mbPerSec: +(mb / produceSeconds).toFixed(1),
          p50Ms: +percentile(latencies, 50).toFixed(2),
          p99Ms: +percentile(latencies, 99).toFixed(2),
          brokerCpuSec: +produceBrokerCpu.toFixed(2),
          clientCpuSec: +produceClientCpu.toFixed(2),
        },
        consume: {
          msgPerSec: Math.round(total / consumeSeconds),
          mbPerSec: +(bytes / 1e6 / consumeSeconds).toFixed(1),
          joinMs: Math.round(joinMs),
          brokerCpuSec: +consumeBrokerCpu.toFixed(2),
          clientCpuSec: +consumeClientCpu.toFixed(2),
        },
      }),
    );
    const produceRate = MESSAGES / produceSeconds;
    printBenchResult('broker', floor, {
      produceMsgPerSec: Math.round(produceRate),
      consumeMsgPerSec: Math.round(total / consumeSeconds),
      produceMsgPerFloorReq: ratioToFloor(produceRate, floor),
      consumeMsgPerFloorReq: ratioToFloor(total / consumeSeconds, floor),
      brokerCpuUsPerProducedMsg: +((produceBrokerCpu / MESSAGES) * 1e6).toFixed(2),
    });
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
