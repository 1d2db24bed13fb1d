import { startTestBroker, type TestBroker } from '@upshift/testing';
import { requireKcat, run } from './support/child';

jest.setTimeout(60_000);

interface KcatMetadata {
  brokers: { id: number; name: string }[];
  topics: { topic: string; partitions: { partition: number; leader: number }[] }[];
}

/** librdkafka (via Debian's kcat): ApiVersions v3 flexible first, Metadata v4, Produce/Fetch v7/v11. */
describe('kcat (librdkafka) against the embedded broker', () => {
  let kcat: string;
  let broker: TestBroker;

  beforeAll(async () => {
    kcat = requireKcat();
    broker = await startTestBroker({ defaultPartitions: 1 });
  });

  afterAll(async () => {
    await broker?.stop();
  });

  const kcatRun = (args: string[], input?: string) =>
    run(kcat, ['-b', broker.address, '-q', ...args], { input, timeoutMs: 30_000 });

  it('produces keyed messages, lists metadata (-L), consumes from the beginning and from an offset', async () => {
    const produced = await kcatRun(
      ['-P', '-t', 'kcat.keys', '-K', ':'],
      'alpha:one\nbeta:two\ngamma:three\ndelta:four\n',
    );
    expect(produced.stderr).toBe('');
    expect(produced.code).toBe(0);

    const meta = await kcatRun(['-L', '-J']);
    expect(meta.code).toBe(0);
    const parsed = JSON.parse(meta.stdout) as KcatMetadata;
    expect(parsed.brokers).toEqual([expect.objectContaining({ id: 1, name: broker.address })]);
    expect(parsed.topics.find((t) => t.topic === 'kcat.keys')?.partitions).toEqual([
      expect.objectContaining({ partition: 0, leader: 1 }),
    ]);

    const plain = await kcatRun(['-L']);
    expect(plain.stdout).toContain('topic "kcat.keys" with 1 partitions');

    const all = await kcatRun(['-C', '-t', 'kcat.keys', '-o', 'beginning', '-e', '-f', '%k=%s@%o\n']);
    expect(all.code).toBe(0);
    expect(all.stdout.trim().split('\n')).toEqual([
      'alpha=one@0',
      'beta=two@1',
      'gamma=three@2',
      'delta=four@3',
    ]);

    const fromTwo = await kcatRun(['-C', '-t', 'kcat.keys', '-o', '2', '-e', '-f', '%k=%s\n']);
    expect(fromTwo.stdout.trim().split('\n')).toEqual(['gamma=three', 'delta=four']);

    const lastOne = await kcatRun(['-C', '-t', 'kcat.keys', '-o', '-1', '-e', '-f', '%s\n']);
    expect(lastOne.stdout.trim()).toBe('four');
  });

  it('consumes in a balanced group (-G) and commits its offsets', async () => {
    const lines = Array.from({ length: 10 }, (_, i) => `key${i}:value${i}`).join('\n') + '\n';
    expect((await kcatRun(['-P', '-t', 'kcat.group', '-K', ':'], lines)).code).toBe(0);

    const consumed = await run(
      kcat,
      [
        '-b',
        broker.address,
        '-q',
        '-G',
        'kcat-group',
        '-o',
        'beginning',
        '-c',
        '10',
        '-f',
        '%s\n',
        '-X',
        'session.timeout.ms=6000',
        'kcat.group',
      ],
      { timeoutMs: 45_000 },
    );
    expect(consumed.stderr).not.toMatch(/error/i);
    expect(consumed.stdout.trim().split('\n').sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `value${i}`).sort(),
    );

    const kafka = broker.kafka({ clientId: 'kcat-check' });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchOffsets({ groupId: 'kcat-group', topics: ['kcat.group'] });
      expect(offsets[0].partitions[0].offset).toBe('10');
    } finally {
      await admin.disconnect();
    }
  });
});
