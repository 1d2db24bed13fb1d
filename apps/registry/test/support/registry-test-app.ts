import { createTestDatabase, TEST_JWT_SECRET, TestDatabase, testToken } from '@upshift/testing';
import { Topics } from '@upshift/contracts';
import { Client } from 'pg';
import type { DestinationStream } from 'pino';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { createRegistryApp, RegistryApp } from '../../src/main';
import type { RegistryConfigOverrides } from '../../src/config';

export const API = '/api/v1/registry';

export interface RegistryTestContext {
  registry: RegistryApp;
  db: TestDatabase;
  /** supertest against the running app (real HTTP on a random port), as an admin of every tenant. */
  http: TestAgent;
  /** supertest without credentials, for the requests that must be refused. */
  anonymous: TestAgent;
  /** A direct connection, to check what is (and is not) in the tables. */
  pg: Client;
  close(): Promise<void>;
}

/**
 * The registry on its own fresh database, listening on a random port. The outbox relay is off
 * unless a test passes a broker: rows stay in registry.outbox, where tests can read them.
 */
export async function startRegistry(
  label: string,
  overrides: RegistryConfigOverrides = {},
  options: { logDestination?: DestinationStream } = {},
): Promise<RegistryTestContext> {
  const db = await createTestDatabase(`registry_${label}`);
  const registry = await createRegistryApp(
    {
      PORT: 0,
      DATABASE_URL: db.url,
      // Port 1 never answers: nothing here reaches a real broker unless a test asks for one.
      KAFKA_BROKERS: '127.0.0.1:1',
      OUTBOX_RELAY_ENABLED: false,
      // Silent unless the person running the tests asks for a level (jest.setup.ts).
      LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'silent',
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      ...overrides,
    },
    options,
  );
  const pg = new Client({ connectionString: db.url });
  await pg.connect();
  const context: RegistryTestContext = {
    registry,
    db,
    http: request
      .agent(registry.url)
      .set(
        'authorization',
        `Bearer ${await testToken({ audience: (overrides.AUTH_AUDIENCE as string | undefined) || undefined })}`,
      ),
    anonymous: request.agent(registry.url),
    pg,
    async close() {
      // context.pg, not pg: a test may have replaced the connection.
      await context.pg.end();
      await registry.close();
      await db.drop();
    },
  };
  return context;
}

/**
 * Every row of every registry table, to prove that a refused request wrote nothing. The audit trail is
 * left out: a refused request is recorded there (and on audit.events) by design (ADR 0075).
 */
export async function snapshotRegistryTables(pg: Client): Promise<Record<string, unknown[]>> {
  const tables = ['component', 'signing_key', 'version', 'instance', 'outbox'];
  const snapshot: Record<string, unknown[]> = {};
  for (const table of tables) {
    const auditEvents = table === 'outbox' ? ` WHERE topic <> '${Topics.AUDIT_EVENTS}'` : '';
    const { rows } = await pg.query(`SELECT * FROM registry.${table}${auditEvents} ORDER BY 1`);
    snapshot[table] = rows;
  }
  return snapshot;
}

export async function outboxEvents(
  pg: Client,
): Promise<{ topic: string; key: string; type: string; data: Record<string, unknown> }[]> {
  const { rows } = await pg.query<{
    topic: string;
    message_key: string;
    payload: { type: string; data: Record<string, unknown> };
  }>('SELECT topic, message_key, payload FROM registry.outbox ORDER BY id');
  return rows.map((row) => ({
    topic: row.topic,
    key: row.message_key,
    type: row.payload.type,
    data: row.payload.data,
  }));
}
