import 'reflect-metadata';
import { randomUUID } from 'crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { Topics, progressMessage } from '@upshift/contracts';
import type { OutboundMessage } from '@upshift/contracts';
import { createTestDatabase, eventually } from '@upshift/testing';
import type { TestDatabase } from '@upshift/testing';
import pino from 'pino';
import { OutboxRelay, createKafka, enqueueOutbox, outboxChannel, outboxTableSql, quoteSchema } from '../src';

const SCHEMA = 'svc';
const silent = pino({ level: 'silent' });

function progress(executionId: string, sequence: number): OutboundMessage {
  return progressMessage({
    executionId,
    tenantId: 't1',
    sequence,
    data: { kind: 'TranscriptLine', line: `line ${sequence}` },
  });
}

describe('outbox table (PostgreSQL)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let listener: Client;
  const notifications: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('messaging_pg');
    dataSource = new DataSource({ type: 'postgres', url: db.url, entities: [] });
    await dataSource.initialize();
    // Twice: migrations may run the DDL again.
    for (let i = 0; i < 2; i += 1) {
      await dataSource.query(outboxTableSql(SCHEMA));
    }
    listener = new Client({ connectionString: db.url });
    await listener.connect();
    listener.on('notification', (n) => notifications.push(n.channel));
    await listener.query(`LISTEN "${outboxChannel(SCHEMA)}"`);
  });

  afterAll(async () => {
    await listener.end();
    await dataSource.destroy();
    await db.drop();
  });

  beforeEach(async () => {
    await dataSource.query(`TRUNCATE ${SCHEMA}.outbox`);
    notifications.length = 0;
  });

  it('creates the outbox with a partial index on unpublished rows', async () => {
    const columns = await dataSource.query<{ column_name: string; is_nullable: string }[]>(
      `SELECT column_name, is_nullable FROM information_schema.columns
        WHERE table_schema = $1 AND table_name = 'outbox' ORDER BY ordinal_position`,
      [SCHEMA],
    );
    expect(columns.map((c) => c.column_name)).toEqual([
      'id',
      'topic',
      'message_key',
      'headers',
      'payload',
      'created_at',
      'published_at',
    ]);
    expect(columns.find((c) => c.column_name === 'published_at')?.is_nullable).toBe('YES');
    const [index] = await dataSource.query<{ indexdef: string }[]>(
      `SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = 'outbox_unpublished_idx'`,
      [SCHEMA],
    );
    expect(index?.indexdef).toMatch(/WHERE \(published_at IS NULL\)/);
  });

  it('refuses schema names that are not plain identifiers', () => {
    expect(() => quoteSchema('x"; DROP TABLE y; --')).toThrow(/invalid schema name/);
    expect(() => outboxTableSql('Upper')).toThrow(/lower-case SQL identifier/);
  });

  it('writes messages in the caller transaction, in order, and notifies at commit', async () => {
    const executionId = randomUUID();
    const messages = [1, 2, 3].map((n) => progress(executionId, n));
    await dataSource.transaction(async (manager) => {
      await enqueueOutbox(manager, SCHEMA, messages);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(notifications).toEqual([]); // NOTIFY is delivered only when the transaction commits
    });
    await eventually(() => (notifications.length > 0 ? true : undefined), { what: 'the outbox NOTIFY' });
    expect(notifications).toEqual([`${SCHEMA}_outbox`]);

    const rows = await dataSource.query<
      { id: string; topic: string; message_key: string; headers: object; payload: { sequence: number } }[]
    >(`SELECT id, topic, message_key, headers, payload FROM ${SCHEMA}.outbox ORDER BY id`);
    expect(rows.map((r) => r.payload.sequence)).toEqual([1, 2, 3]);
    expect(rows.every((r) => r.topic === Topics.PROGRESS && r.message_key === executionId)).toBe(true);
    expect(rows[0]?.payload).toEqual(messages[0]?.value);
    expect(rows[0]?.headers).toEqual({});
  });

  it('leaves nothing behind when the caller rolls back', async () => {
    await expect(
      dataSource.transaction(async (manager) => {
        await enqueueOutbox(manager, SCHEMA, [progress(randomUUID(), 1)]);
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    const [{ n }] = await dataSource.query<[{ n: number }]>(
      `SELECT count(*)::int AS n FROM ${SCHEMA}.outbox`,
    );
    expect(n).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(notifications).toEqual([]);
  });

  it('splits large writes into several inserts and keeps the order', async () => {
    const executionId = randomUUID();
    const messages = Array.from({ length: 2_500 }, (_, i) => progress(executionId, i + 1));
    await dataSource.transaction((manager) => enqueueOutbox(manager, SCHEMA, messages));
    const rows = await dataSource.query<{ sequence: number }[]>(
      `SELECT (payload->>'sequence')::int AS sequence FROM ${SCHEMA}.outbox ORDER BY id`,
    );
    expect(rows.map((r) => r.sequence)).toEqual(messages.map((_, i) => i + 1));
  });

  it('keeps caller headers', async () => {
    const message = { ...progress(randomUUID(), 1), headers: { traceparent: '00-abc-def-01' } };
    await enqueueOutbox(dataSource.manager, SCHEMA, [message]);
    const [row] = await dataSource.query<{ headers: object }[]>(`SELECT headers FROM ${SCHEMA}.outbox`);
    expect(row?.headers).toEqual({ traceparent: '00-abc-def-01' });
  });

  it('enqueues through a plain node-postgres client too', async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      await enqueueOutbox(client, SCHEMA, [progress(randomUUID(), 1)]);
      const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${SCHEMA}.outbox`);
      expect(rows[0]?.n).toBe(1);
    } finally {
      await client.end();
    }
  });

  it('elects one relay per schema through the advisory lock, and a standby takes over', async () => {
    // No rows are written, so no Kafka connection is attempted: this is the Postgres half of leadership.
    const kafka = createKafka({ clientId: 'relay-lock-test', brokers: ['127.0.0.1:1'], logger: silent });
    const options = { schema: SCHEMA, connection: db.url, kafka, logger: silent, leaderRetryMs: 50 };
    const first = new OutboxRelay(options);
    const second = new OutboxRelay(options);
    const other = new OutboxRelay({ ...options, schema: 'other_svc' });
    await first.start();
    await second.start();
    await other.start();
    try {
      expect([first.isLeader, second.isLeader]).toEqual([true, false]);
      expect(other.isLeader).toBe(true); // another schema has its own lock
      await first.stop();
      await eventually(() => (second.isLeader ? true : undefined), {
        what: 'the standby relay to take over',
      });
      expect(second.metrics()).toMatchObject({ schema: SCHEMA, leader: true, published: 0 });
    } finally {
      await first.stop();
      await second.stop();
      await other.stop();
    }
  });

  it('loses leadership when its Postgres session is killed, and regains it', async () => {
    const kafka = createKafka({ clientId: 'relay-kill-test', brokers: ['127.0.0.1:1'], logger: silent });
    const relay = new OutboxRelay({
      schema: SCHEMA,
      connection: db.url,
      kafka,
      logger: silent,
      leaderRetryMs: 50,
      pollIntervalMs: 50,
      maxBackoffMs: 100,
    });
    await relay.start();
    try {
      expect(relay.isLeader).toBe(true);
      await dataSource.query(
        // Only this test's database: other suites running in parallel hold advisory locks too.
        `SELECT pg_terminate_backend(pid) FROM pg_locks
          WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
      await eventually(() => (relay.metrics().errors > 0 || !relay.isLeader ? true : undefined), {
        what: 'the relay to notice its lost session',
      });
      await eventually(() => (relay.isLeader ? true : undefined), { what: 'the relay to lead again' });
    } finally {
      await relay.stop();
    }
  });
});
