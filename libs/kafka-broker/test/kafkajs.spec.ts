import type { Admin, Consumer, EachMessagePayload, Kafka } from 'kafkajs';
import { startTestBroker, type TestBroker } from '@upshift/testing';

jest.setTimeout(60_000);

function waitFor(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = (): void => {
      if (check()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 50);
    };
    tick();
  });
}

describe('kafkajs against the embedded broker', () => {
  let broker: TestBroker;
  let kafka: Kafka;
  let admin: Admin;

  beforeAll(async () => {
    broker = await startTestBroker();
    kafka = broker.kafka({
      clientId: 'kafkajs-test',
      retry: { retries: 5, initialRetryTime: 100 },
    });
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin.disconnect();
    await broker.stop();
  });

  it('creates topics and describes them (admin createTopics, fetchTopicMetadata)', async () => {
    const created = await admin.createTopics({
      topics: [
        { topic: 'admin.plain', numPartitions: 3 },
        {
          topic: 'admin.compacted',
          numPartitions: 1,
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ],
      waitForLeaders: true,
    });
    expect(created).toBe(true);
    expect(await admin.createTopics({ topics: [{ topic: 'admin.plain', numPartitions: 3 }] })).toBe(false);

    const { topics } = await admin.fetchTopicMetadata({ topics: ['admin.plain', 'admin.compacted'] });
    const plain = topics.find((t) => t.name === 'admin.plain');
    expect(plain?.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
    expect(plain?.partitions.every((p) => p.leader === 1 && p.replicas.length === 1)).toBe(true);
    expect(await admin.listTopics()).toEqual(expect.arrayContaining(['admin.plain', 'admin.compacted']));

    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: 'admin.compacted' }],
    });
    const policy = configs.resources[0].configEntries.find((e) => e.configName === 'cleanup.policy');
    expect(policy?.configValue).toBe('compact');

    await admin.createPartitions({ topicPartitions: [{ topic: 'admin.plain', count: 4 }] });
    const after = await admin.fetchTopicMetadata({ topics: ['admin.plain'] });
    expect(after.topics[0].partitions).toHaveLength(4);

    await admin.deleteTopics({ topics: ['admin.compacted'] });
    expect(await admin.listTopics()).not.toContain('admin.compacted');
  });

  it('produces with an idempotent producer and reads everything back once, in order', async () => {
    const topic = 'idempotent.orders';
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let batch = 0; batch < 5; batch++) {
      await producer.send({
        topic,
        messages: Array.from({ length: 20 }, (_, i) => ({
          key: `k${i % 3}`,
          value: `m${batch * 20 + i}`,
          headers: { n: String(batch * 20 + i) },
        })),
      });
    }
    await producer.disconnect();

    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets[0].high).toBe('100');
    expect(offsets[0].low).toBe('0');

    const consumer = kafka.consumer({
      groupId: 'idempotent-readers',
      heartbeatInterval: 500,
      maxWaitTimeInMs: 500,
    });
    const seen: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }: EachMessagePayload) => {
        seen.push(message.value?.toString() ?? '');
        expect(message.headers?.n?.toString()).toBe(message.value?.toString().slice(1));
      },
    });
    await waitFor(() => seen.length >= 100, '100 messages');
    await consumer.disconnect();
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));

    // Committed on the way: admin sees the group's offsets.
    const committed = await admin.fetchOffsets({ groupId: 'idempotent-readers', topics: [topic] });
    expect(committed[0].partitions[0].offset).toBe('100');
  });

  it('rebalances a group of 3 members when one leaves (describeGroups, fetchOffsets)', async () => {
    const topic = 'group.work';
    const groupId = 'three-workers';
    await admin.createTopics({ topics: [{ topic, numPartitions: 6 }] });
    const consumers: Consumer[] = [];
    const assigned = new Map<number, number[]>();
    const received = new Map<number, string[]>();
    for (let i = 0; i < 3; i++) {
      const c = kafka.consumer({
        groupId,
        heartbeatInterval: 300,
        sessionTimeout: 10_000,
        rebalanceTimeout: 10_000,
        maxWaitTimeInMs: 500,
      });
      c.on(c.events.GROUP_JOIN, (e) =>
        assigned.set(i, (e.payload.memberAssignment[topic] ?? []).slice().sort()),
      );
      received.set(i, []);
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({
        eachMessage: async ({ message }) => void received.get(i)?.push(message.value?.toString() ?? ''),
      });
      consumers.push(c);
    }
    const allAssigned = (n: number): boolean => {
      const parts = [...assigned.values()].flat();
      return (
        assigned.size === n &&
        parts.length === 6 &&
        new Set(parts).size === 6 &&
        [...assigned.values()].every((a) => a.length === 6 / n)
      );
    };
    await waitFor(() => allAssigned(3), 'three members with two partitions each');

    const described = await admin.describeGroups([groupId]);
    expect(described.groups[0].state).toBe('Stable');
    expect(described.groups[0].protocolType).toBe('consumer');
    expect(described.groups[0].members).toHaveLength(3);

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: 60 }, (_, i) => ({ key: `key-${i}`, value: `before-${i}` })),
    });
    const total = (): number => [...received.values()].reduce((n, r) => n + r.length, 0);
    await waitFor(() => total() >= 60, '60 messages across the group');
    expect([...received.values()].filter((r) => r.length > 0).length).toBeGreaterThanOrEqual(2);

    // One member leaves: the other two take over all six partitions.
    await consumers[2].disconnect();
    assigned.delete(2);
    await waitFor(() => allAssigned(2), 'two members with three partitions each');
    const afterLeave = new Map<number, number>([
      [0, received.get(0)?.length ?? 0],
      [1, received.get(1)?.length ?? 0],
    ]);
    await producer.send({
      topic,
      messages: Array.from({ length: 60 }, (_, i) => ({ key: `key-${i}`, value: `after-${i}` })),
    });
    await waitFor(
      () =>
        (received.get(0)?.length ?? 0) +
          (received.get(1)?.length ?? 0) -
          (afterLeave.get(0) ?? 0) -
          (afterLeave.get(1) ?? 0) >=
        60,
      '60 more messages',
    );
    await producer.disconnect();

    const described2 = await admin.describeGroups([groupId]);
    expect(described2.groups[0].members).toHaveLength(2);

    await consumers[0].disconnect();
    await consumers[1].disconnect();
    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    const sum = offsets[0].partitions.reduce((n, p) => n + Number(p.offset), 0);
    expect(sum).toBe(120);
    const empty = await admin.describeGroups([groupId]);
    expect(empty.groups[0].state).toBe('Empty');

    expect(await admin.listGroups()).toEqual({
      groups: expect.arrayContaining([{ groupId, protocolType: 'consumer' }]),
    });
    await admin.deleteGroups([groupId]);
    const gone = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(gone[0].partitions.every((p) => p.offset === '-1')).toBe(true);
  });
});
