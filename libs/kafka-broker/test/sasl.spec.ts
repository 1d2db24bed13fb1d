import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import type { Kafka } from 'kafkajs';
import { startTestBroker, type TestBroker } from '@upshift/testing';
import { ApiKey } from '../src/api/versions';
import { requirePythonKafka, run } from './support/child';
import { RawClient } from './support/raw-client';

jest.setTimeout(60_000);

describe('SASL/PLAIN (users from a file)', () => {
  let broker: TestBroker;
  const usersDir = mkdtempSync(path.join(tmpdir(), 'upshift-sasl-'));

  beforeAll(async () => {
    const usersFile = path.join(usersDir, 'users.txt');
    writeFileSync(usersFile, '# test users\nalice:wonderland\nbob:builder\n');
    broker = await startTestBroker({ saslUsersFile: usersFile });
  });

  afterAll(async () => {
    await broker.stop();
    rmSync(usersDir, { recursive: true, force: true });
  });

  const client = (password: string): Kafka =>
    broker.kafka({
      clientId: 'sasl-test',
      sasl: { mechanism: 'plain', username: 'alice', password },
      retry: { retries: 0 },
    });

  it('lets kafkajs in with the right password (SaslHandshake v1 + SaslAuthenticate)', async () => {
    const producer = client('wonderland').producer();
    await producer.connect();
    const [meta] = await producer.send({ topic: 'sasl.topic', messages: [{ value: 'hi' }] });
    expect(meta.errorCode).toBe(0);
    await producer.disconnect();
  });

  it('refuses a wrong password with SASL_AUTHENTICATION_FAILED', async () => {
    const admin = client('guess').admin();
    await expect(admin.connect()).rejects.toThrow(/SASL PLAIN authentication failed|Authentication failed/i);
    await admin.disconnect();
  });

  it('closes a connection that skips authentication', async () => {
    const raw = await RawClient.connect(broker.port);
    raw.send(ApiKey.Metadata, 1, (w) => w.int32(-1));
    await raw.waitClosed();
  });

  it('lets kafka-python in (SaslHandshake v0, then a bare token)', async () => {
    const python = requirePythonKafka();
    const script = path.join(__dirname, 'python', 'kafka_python_sasl.py');
    const out = await run(python, [script, broker.address, 'bob', 'builder', 'sasl.python'], {
      timeoutMs: 45_000,
    });
    if (out.code !== 0) throw new Error(`kafka-python SASL script failed:\n${out.stderr}`);
    expect(JSON.parse(out.stdout.trim())).toEqual({ offset: 0 });
  });
});
