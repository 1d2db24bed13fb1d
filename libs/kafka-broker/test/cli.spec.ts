import { spawn, type ChildProcessWithoutNullStreams } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { Kafka, logLevel } from 'kafkajs';
import { createDevCertificates } from '../src/tls/dev-certificates';
import { run } from './support/child';

jest.setTimeout(60_000);

const ROOT = path.join(__dirname, '..', '..', '..');
const CLI = 'libs/kafka-broker/src/cli.ts';

/** Starts the CLI; resolves with the address from its "listening on" line and what it printed. */
async function startCli(
  args: string[],
): Promise<{ child: ChildProcessWithoutNullStreams; address: string; stdout: () => string }> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', CLI, ...args], { cwd: ROOT });
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
  return { child, address, stdout: () => stdout };
}

async function stopCli(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

/** `npm run broker -- --port … --data-dir …` runs in the foreground, logs its address, stops on SIGTERM. */
describe('the broker CLI', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'upshift-broker-cli-'));

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('logs "listening on HOST:PORT" (JSON and plain), serves clients and exits cleanly on SIGTERM', async () => {
    const { child, address, stdout } = await startCli(['--port', '0', '--data-dir', dataDir]);
    const jsonLine = stdout()
      .split('\n')
      .find((l) => l.includes('listening on'));
    expect(JSON.parse(jsonLine ?? '{}')).toEqual(
      expect.objectContaining({ level: 30, msg: `listening on ${address}` }),
    );

    const admin = new Kafka({ clientId: 'cli-test', brokers: [address], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'cli.topic' }] });
    expect(await admin.listTopics()).toContain('cli.topic');
    await admin.disconnect();

    expect(await stopCli(child)).toBe(0);
  });

  it('documents the SASL and TLS flags in --help', async () => {
    const help = await run(process.execPath, ['-r', '@swc-node/register', path.join(ROOT, CLI), '--help']);
    expect(help.code).toBe(0);
    for (const flag of [
      '--sasl-users FILE',
      '--tls-cert FILE',
      '--tls-key FILE',
      'SCRAM-SHA-512',
      'SASL_SSL',
    ])
      expect(help.stdout).toContain(flag);
  });

  it('refuses --tls-cert without --tls-key', async () => {
    const out = await run(process.execPath, [
      '-r',
      '@swc-node/register',
      path.join(ROOT, CLI),
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--tls-cert',
      'cert.pem',
    ]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('--tls-cert and --tls-key go together');
  });

  it('serves SASL_SSL with --sasl-users, --tls-cert and --tls-key, and logs no password', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'upshift-broker-cli-tls-'));
    try {
      const certs = createDevCertificates(dir);
      const users = path.join(dir, 'users.txt');
      writeFileSync(users, 'svc:cli-secret-pw\n');
      const { child, address, stdout } = await startCli([
        '--port',
        '0',
        '--data-dir',
        path.join(dir, 'data'),
        '--sasl-users',
        users,
        '--tls-cert',
        certs.certFile,
        '--tls-key',
        certs.keyFile,
      ]);
      const kafka = (password: string) =>
        new Kafka({
          clientId: 'cli-tls-test',
          brokers: [address],
          ssl: { ca: readFileSync(certs.caFile) },
          sasl: { mechanism: 'scram-sha-512', username: 'svc', password },
          logLevel: logLevel.NOTHING,
          retry: { retries: 0 },
        }).admin();
      const admin = kafka('cli-secret-pw');
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'cli.tls' }] });
      expect(await admin.listTopics()).toContain('cli.tls');
      await admin.disconnect();
      const wrong = kafka('wrong-pw');
      await expect(wrong.connect()).rejects.toThrow(/authentication failed/i);
      await wrong.disconnect();

      expect(await stopCli(child)).toBe(0);
      const log = stdout();
      expect(log).toMatch(/"sasl":true,"tls":true/);
      expect(log).toContain('SASL authentication failed');
      expect(log).not.toContain('cli-secret-pw');
      expect(log).not.toContain('wrong-pw');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
