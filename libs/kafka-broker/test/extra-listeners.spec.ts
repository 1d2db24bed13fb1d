import { spawn } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import * as net from 'net';
import { tmpdir } from 'os';
import * as path from 'path';
import { Kafka, logLevel } from 'kafkajs';
import { run } from './support/child';

jest.setTimeout(60_000);

const ROOT = path.join(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'libs/kafka-broker/src/cli.ts');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function client(address: string): Kafka {
  return new Kafka({ clientId: 'extra-listener-test', brokers: [address], logLevel: logLevel.NOTHING });
}

/**
 * docker-compose.yml runs the broker with two listeners: containers use the service name, the host a
 * published port (Kafka's listeners/advertised.listeners). Each listener's clients must be told their
 * own address, or a client that bootstraps through one is sent to an address it cannot reach.
 */
describe('the broker CLI with --extra-listener', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'upshift-broker-listeners-'));

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("tells each listener's clients that listener's advertised address, over one shared log", async () => {
    const extraPort = await freePort();
    const child = spawn(
      process.execPath,
      [
        '-r',
        '@swc-node/register',
        CLI,
        '--port',
        '0',
        '--data-dir',
        dataDir,
        '--extra-listener',
        `127.0.0.1:${extraPort}=localhost:${extraPort}`,
      ],
      { cwd: ROOT },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      let stderr = '';
      const main = await new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          const m = /listening on (\S+:\d+)/.exec(stderr);
          if (m?.[1]) resolve(m[1]);
        });
        child.on('exit', (code) => reject(new Error(`broker exited early (${code}): ${stderr}`)));
      });
      const mainPort = Number(main.split(':')[1]);

      const viaMain = client(main).admin();
      const viaExtra = client(`127.0.0.1:${extraPort}`).admin();
      await Promise.all([viaMain.connect(), viaExtra.connect()]);
      try {
        expect((await viaMain.describeCluster()).brokers).toEqual([
          { nodeId: 1, host: '127.0.0.1', port: mainPort },
        ]);
        expect((await viaExtra.describeCluster()).brokers).toEqual([
          { nodeId: 1, host: 'localhost', port: extraPort },
        ]);
        await viaExtra.createTopics({ topics: [{ topic: 'listeners.shared' }] });
        expect(await viaMain.listTopics()).toContain('listeners.shared');
      } finally {
        await Promise.all([viaMain.disconnect(), viaExtra.disconnect()]);
      }

      // A record produced through one listener is read through the other (advertised: localhost).
      const producer = client(main).producer();
      await producer.connect();
      await producer.send({ topic: 'listeners.shared', messages: [{ key: 'k', value: 'through main' }] });
      await producer.disconnect();
      const consumer = client(`localhost:${extraPort}`).consumer({ groupId: 'listeners-test' });
      await consumer.connect();
      await consumer.subscribe({ topic: 'listeners.shared', fromBeginning: true });
      const value = await new Promise<string>((resolve) => {
        void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) });
      });
      await consumer.disconnect();
      expect(value).toBe('through main');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('refuses a malformed --extra-listener, naming the expected form', async () => {
    const out = await run(process.execPath, [
      '-r',
      '@swc-node/register',
      CLI,
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--extra-listener',
      '0.0.0.0:9094',
    ]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('--extra-listener must be HOST:PORT=ADVERTISED_HOST:PORT');
  });
});
