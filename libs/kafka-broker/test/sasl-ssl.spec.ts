import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import type { Kafka, SASLOptions } from 'kafkajs';
import { startTestBroker, type TestBroker } from '@upshift/testing';
import { ApiKey } from '../src/api/versions';
import { createDevCertificates, type DevCertificates } from '../src/tls/dev-certificates';
import { requireKcat, requirePythonKafka, run } from './support/child';
import { RawClient } from './support/raw-client';

jest.setTimeout(90_000);

const ONE_MIB = 1024 * 1024;

/** SASL_SSL: SCRAM-SHA-256/512 and PLAIN over TLS, with certificates made by openssl for this run. */
describe('SASL_SSL (SCRAM and PLAIN over TLS)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'upshift-sasl-ssl-'));
  let certs: DevCertificates;
  let ca: Buffer;
  let broker: TestBroker;

  beforeAll(async () => {
    certs = createDevCertificates(dir);
    ca = readFileSync(certs.caFile);
    const usersFile = path.join(dir, 'users.json');
    writeFileSync(usersFile, JSON.stringify({ alice: 'wonderland', 'svc,ops': 's3cret=!' }));
    broker = await startTestBroker({
      saslUsersFile: usersFile,
      tls: { certFile: certs.certFile, keyFile: certs.keyFile },
      // Well above the 1 MiB pre-authentication cap, to show that the cap is lifted afterwards.
      maxMessageBytes: 4 * ONE_MIB,
    });
  });

  afterAll(async () => {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const client = (sasl: SASLOptions | undefined, ssl: boolean | { ca: Buffer } = { ca }): Kafka =>
    broker.kafka({
      clientId: 'sasl-ssl-test',
      ssl,
      sasl,
      connectionTimeout: 5_000,
      retry: { retries: 0 },
    });

  async function roundTrip(kafka: Kafka, topic: string): Promise<string[]> {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'k', value: `via ${topic}` }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: `${topic}.group` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const values: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            values.push(message.value?.toString() ?? '');
            resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    return values;
  }

  it.each([
    ['scram-sha-256', 'alice', 'wonderland'],
    ['scram-sha-512', 'alice', 'wonderland'],
    ['scram-sha-512', 'svc,ops', 's3cret=!'],
    ['plain', 'alice', 'wonderland'],
  ] as const)('lets kafkajs produce and consume with %s as %s', async (mechanism, username, password) => {
    const topic = `sasl-ssl.${mechanism}.${username.replace(/\W/g, '')}`;
    const values = await roundTrip(client({ mechanism, username, password } as SASLOptions), topic);
    expect(values).toEqual([`via ${topic}`]);
  });

  it.each(['scram-sha-256', 'scram-sha-512', 'plain'] as const)(
    'refuses a wrong password with %s',
    async (mechanism) => {
      const admin = client({ mechanism, username: 'alice', password: 'guess' } as SASLOptions).admin();
      await expect(admin.connect()).rejects.toThrow(/authentication failed/i);
      await admin.disconnect();
    },
  );

  it('refuses an unknown user with SCRAM-SHA-512', async () => {
    const admin = client({ mechanism: 'scram-sha-512', username: 'mallory', password: 'x' }).admin();
    await expect(admin.connect()).rejects.toThrow(/authentication failed/i);
    await admin.disconnect();
  });

  it('refuses a kafkajs client that does not authenticate', async () => {
    const admin = client(undefined).admin();
    // ApiVersions is allowed before authentication; the Metadata request that follows is not.
    await expect(admin.connect().then(() => admin.listTopics())).rejects.toThrow();
    await admin.disconnect();
  });

  it('speaks only TLS: a plaintext client gets no answer, one that does not trust the CA is refused', async () => {
    const sasl: SASLOptions = { mechanism: 'scram-sha-512', username: 'alice', password: 'wonderland' };
    const plaintext = client(sasl, false).admin();
    await expect(plaintext.connect()).rejects.toThrow();
    await plaintext.disconnect();
    const untrusting = client(sasl, true).admin();
    await expect(untrusting.connect()).rejects.toThrow(/self[- ]signed|unable to (get|verify)|certificate/i);
    await untrusting.disconnect();
  });

  it('closes a connection whose first frame is over 1 MiB, before reading it', async () => {
    const raw = await RawClient.connectTls(broker.port, ca);
    const header = Buffer.alloc(4);
    header.writeInt32BE(ONE_MIB + 1, 0);
    raw.writeRaw(header);
    await raw.waitClosed();
  });

  it('takes a 1 MiB frame before authentication, so the cap is exactly 1 MiB', async () => {
    const raw = await RawClient.connectTls(broker.port, ca);
    // ApiVersions v0 padded to 1 MiB: the broker reads only the fields it knows and answers.
    const correlationId = raw.send(ApiKey.ApiVersions, 0, (w) => w.raw(Buffer.alloc(ONE_MIB - 20)));
    const response = await raw.receive();
    expect(response.correlationId).toBe(correlationId);
    expect(response.body.int16()).toBe(0);
    raw.close();
  });

  it('lifts the cap once authenticated: a 2 MiB produce request goes through', async () => {
    const kafka = client({ mechanism: 'scram-sha-256', username: 'alice', password: 'wonderland' });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        {
          topic: 'sasl-ssl.large',
          configEntries: [{ name: 'max.message.bytes', value: String(4 * ONE_MIB) }],
        },
      ],
    });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const [meta] = await producer.send({
      topic: 'sasl-ssl.large',
      messages: [{ value: Buffer.alloc(2 * ONE_MIB, 'x') }],
    });
    expect(meta.errorCode).toBe(0);
    await producer.disconnect();
  });

  it('lets kcat (librdkafka) produce and consume with SCRAM-SHA-512 over TLS', async () => {
    const kcat = requireKcat();
    const security = [
      '-X',
      'security.protocol=SASL_SSL',
      '-X',
      'sasl.mechanisms=SCRAM-SHA-512',
      '-X',
      'sasl.username=alice',
      '-X',
      'sasl.password=wonderland',
      '-X',
      `ssl.ca.location=${certs.caFile}`,
    ];
    const kcatRun = (args: string[], input?: string) =>
      run(kcat, ['-b', broker.address, '-q', ...security, ...args], { input, timeoutMs: 30_000 });

    const produced = await kcatRun(['-P', '-t', 'sasl-ssl.kcat', '-K', ':'], 'one:uno\ntwo:dos\n');
    expect(produced.stderr).toBe('');
    expect(produced.code).toBe(0);
    const consumed = await kcatRun(['-C', '-t', 'sasl-ssl.kcat', '-o', 'beginning', '-e', '-f', '%k=%s\n']);
    expect(consumed.code).toBe(0);
    expect(consumed.stdout.trim().split('\n')).toEqual(['one=uno', 'two=dos']);

    // Without -q, so that librdkafka's reason reaches stderr.
    const wrongPassword = security.map((arg) =>
      arg === 'sasl.password=wonderland' ? 'sasl.password=guess' : arg,
    );
    const refused = await run(kcat, ['-b', broker.address, ...wrongPassword, '-L', '-m', '5'], {
      timeoutMs: 30_000,
    });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/SASL authentication error: Authentication failed/);
  });

  it('lets kafka-python in with SCRAM-SHA-256 over TLS (SaslHandshake v0, then bare tokens)', async () => {
    const python = requirePythonKafka();
    const script = path.join(__dirname, 'python', 'kafka_python_sasl.py');
    const out = await run(
      python,
      [script, broker.address, 'alice', 'wonderland', 'sasl-ssl.python', 'SCRAM-SHA-256', certs.caFile],
      { timeoutMs: 45_000 },
    );
    if (out.code !== 0) throw new Error(`kafka-python SCRAM script failed:\n${out.stderr}`);
    expect(JSON.parse(out.stdout.trim())).toEqual({ offset: 0 });
  });
});
