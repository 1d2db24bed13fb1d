import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { logLevel } from 'kafkajs';
import pino from 'pino';
import { createDevCertificates } from '@upshift/kafka-broker';
import { startTestBroker, type TestBroker } from '@upshift/testing';
import { createKafka, kafkaSecurityFromEnv } from '../src';

jest.setTimeout(60_000);

/** What kafkaSecurityFromEnv returns is what kafkajs needs for SASL_SSL: proven against the embedded broker. */
describe('kafkaSecurityFromEnv against a SASL_SSL broker', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'upshift-messaging-sasl-ssl-'));
  const certs = createDevCertificates(dir);
  let broker: TestBroker;

  beforeAll(async () => {
    const users = path.join(dir, 'users.txt');
    writeFileSync(users, 'svc:s3cret\n');
    broker = await startTestBroker({
      label: 'messaging-sasl-ssl',
      saslUsersFile: users,
      tls: { certFile: certs.certFile, keyFile: certs.keyFile },
    });
  });

  afterAll(async () => {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const kafka = (env: NodeJS.ProcessEnv) =>
    createKafka({
      clientId: 'security-test',
      brokers: broker.brokers,
      security: kafkaSecurityFromEnv(env),
      logger: pino({ level: 'silent' }),
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    });
  const secured = (mechanism: string, password = 's3cret') => ({
    KAFKA_SASL_MECHANISM: mechanism,
    KAFKA_USERNAME: 'svc',
    KAFKA_PASSWORD: password,
    KAFKA_SSL: 'true',
    KAFKA_CA_FILE: certs.caFile,
  });

  it.each(['plain', 'scram-sha-256', 'scram-sha-512'])('produces with %s over TLS', async (mechanism) => {
    const producer = kafka(secured(mechanism)).producer();
    await producer.connect();
    const [meta] = await producer.send({ topic: `security.${mechanism}`, messages: [{ value: 'ok' }] });
    expect(meta.errorCode).toBe(0);
    await producer.disconnect();
  });

  it('is refused with a wrong password', async () => {
    const admin = kafka(secured('scram-sha-512', 'wrong')).admin();
    await expect(admin.connect()).rejects.toThrow(/authentication failed/i);
    await admin.disconnect();
  });

  it('is refused with TLS but no SASL', async () => {
    const admin = kafka({ KAFKA_SSL: 'true', KAFKA_CA_FILE: certs.caFile }).admin();
    await expect(admin.connect().then(() => admin.listTopics())).rejects.toThrow();
    await admin.disconnect();
  });

  it('does not trust the broker without KAFKA_CA_FILE (system CAs only)', async () => {
    const { KAFKA_CA_FILE: _ca, ...withoutCa } = secured('scram-sha-512');
    const admin = kafka(withoutCa).admin();
    await expect(admin.connect()).rejects.toThrow(/certificate/i);
    await admin.disconnect();
  });
});
