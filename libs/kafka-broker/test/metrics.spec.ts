import { spawn, type ChildProcessWithoutNullStreams } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { Kafka, logLevel } from 'kafkajs';
import { run } from './support/child';

jest.setTimeout(60_000);

const ROOT = path.join(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'libs/kafka-broker/src/cli.ts');

/** Starts the CLI with metrics on a free port; resolves with the Kafka address and the metrics URL it logged. */
async function startWithMetrics(
  dataDir: string,
): Promise<{ child: ChildProcessWithoutNullStreams; address: string; metricsUrl: string }> {
  const child = spawn(
    process.execPath,
    ['-r', '@swc-node/register', CLI, '--port', '0', '--data-dir', dataDir, '--metrics-port', '0'],
    { cwd: ROOT },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const address = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /listening on (\S+:\d+)/.exec(stderr);
      if (m) resolve(m[1] as string);
    });
    child.on('exit', (code) => reject(new Error(`broker exited early (${code}): ${stderr}`)));
  });
  const logged = stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg?: string; url?: string })
    .find((l) => l.msg === 'metrics on GET /metrics');
  if (logged?.url === undefined) throw new Error(`no metrics URL in the broker's log: ${stdout}`);
  return { child, address, metricsUrl: logged.url };
}

function counter(text: string, name: string, topic: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`topic="${topic}"`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

/** `npm run broker -- --metrics-port N`: per-topic traffic as a real client produced and fetched it. */
describe('the broker CLI with --metrics-port', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'upshift-broker-metrics-'));

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('counts messages and bytes in and out per topic as kafkajs produces and consumes them', async () => {
    const { child, address, metricsUrl } = await startWithMetrics(dataDir);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const kafka = new Kafka({ clientId: 'metrics-test', brokers: [address], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: 'metrics-test' });
    try {
      await producer.connect();
      await producer.send({
        topic: 'metrics.topic',
        messages: Array.from({ length: 7 }, (_, i) => ({ key: `k${i}`, value: `message ${i}` })),
      });
      await producer.send({ topic: 'metrics.topic', messages: [{ value: 'one more' }] });
      await consumer.connect();
      await consumer.subscribe({ topic: 'metrics.topic', fromBeginning: true });
      let seen = 0;
      await new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async () => {
            seen += 1;
            if (seen === 8) resolve();
          },
        });
      });

      const response = await fetch(metricsUrl);
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(counter(text, 'upshift_broker_messages_in_total', 'metrics.topic')).toBe(8);
      expect(counter(text, 'upshift_broker_bytes_in_total', 'metrics.topic')).toBeGreaterThan(
        8 * 'message 0'.length,
      );
      expect(counter(text, 'upshift_broker_messages_out_total', 'metrics.topic')).toBeGreaterThanOrEqual(8);
      expect(counter(text, 'upshift_broker_bytes_out_total', 'metrics.topic')).toBeGreaterThan(0);
      expect(text).toMatch(/^upshift_process_cpu_seconds_total\{service="kafka-broker"\} /m);
      expect((await fetch(metricsUrl.replace('/metrics', '/other'))).status).toBe(404);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('documents the flags in --help and refuses a bad BROKER_METRICS_PORT before it starts', async () => {
    const help = await run(process.execPath, ['-r', '@swc-node/register', CLI, '--help']);
    expect(help.stdout).toContain('--metrics-port PORT');
    expect(help.stdout).toContain('BROKER_METRICS_PORT');
    const bad = await run(
      process.execPath,
      ['-r', '@swc-node/register', CLI, '--port', '0', '--data-dir', dataDir],
      {
        env: { ...process.env, BROKER_METRICS_PORT: 'nine' },
      },
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('BROKER_METRICS_PORT must be 0–65535, got nine');
    expect(bad.stderr).not.toContain('listening on');
  });
});
