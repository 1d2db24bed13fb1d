import { spawn } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { Kafka, logLevel } from 'kafkajs';

jest.setTimeout(60_000);

/** `npm run broker -- --port … --data-dir …` runs in the foreground, logs its address, stops on SIGTERM. */
describe('the broker CLI', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'upshift-broker-cli-'));

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('logs "listening on HOST:PORT" (JSON and plain), serves clients and exits cleanly on SIGTERM', async () => {
    const root = path.join(__dirname, '..', '..', '..');
    const child = spawn(
      process.execPath,
      ['-r', '@swc-node/register', 'libs/kafka-broker/src/cli.ts', '--port', '0', '--data-dir', dataDir],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const address = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /listening on (\S+:\d+)/.exec(stderr);
        if (m) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`broker exited early (${code}): ${stderr}`)));
    });
    const jsonLine = stdout.split('\n').find((l) => l.includes('listening on'));
    expect(JSON.parse(jsonLine ?? '{}')).toEqual(
      expect.objectContaining({ level: 30, msg: `listening on ${address}` }),
    );

    const admin = new Kafka({ clientId: 'cli-test', brokers: [address], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'cli.topic' }] });
    expect(await admin.listTopics()).toContain('cli.topic');
    await admin.disconnect();

    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
