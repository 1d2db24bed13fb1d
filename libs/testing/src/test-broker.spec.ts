import { existsSync, mkdtempSync, readdirSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { startTestBroker } from './test-broker';

jest.setTimeout(60_000);

describe('startTestBroker', () => {
  it('serves kafkajs clients on its bootstrap address and removes its data dir on stop', async () => {
    const broker = await startTestBroker({ label: 'fixture' });
    expect(broker.address).toBe(`127.0.0.1:${broker.port}`);
    expect(broker.brokers).toEqual([broker.address]);
    expect(path.basename(broker.dataDir)).toMatch(/^upshift-fixture-broker-/);

    const kafka = broker.kafka();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'fixture.topic', messages: [{ key: 'k', value: 'hello' }] });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const [offsets] = await admin.fetchTopicOffsets('fixture.topic');
    await admin.disconnect();
    expect(offsets?.high).toBe('1');

    await broker.stop();
    await broker.stop();
    expect(existsSync(broker.dataDir)).toBe(false);
  });

  it('keeps a data dir the caller passed in, so that a restarted broker finds its records', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'upshift-fixture-restart-'));
    try {
      const first = await startTestBroker({ dataDir });
      const producer = first.kafka().producer();
      await producer.connect();
      await producer.send({ topic: 'fixture.kept', messages: [{ value: 'kept' }] });
      await producer.disconnect();
      await first.stop();
      expect(existsSync(dataDir)).toBe(true);

      const second = await startTestBroker({ dataDir });
      const admin = second.kafka().admin();
      await admin.connect();
      const [offsets] = await admin.fetchTopicOffsets('fixture.kept');
      await admin.disconnect();
      await second.stop();
      expect(offsets?.high).toBe('1');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('removes the data dir it made when the broker cannot start', async () => {
    const before = new Set(listFixtureDirs());
    await expect(
      startTestBroker({ label: 'fixture-fails', saslUsersFile: '/nonexistent/users.txt' }),
    ).rejects.toThrow();
    expect(listFixtureDirs().filter((dir) => !before.has(dir))).toEqual([]);
  });
});

function listFixtureDirs(): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith('upshift-fixture-fails-broker-'));
}
