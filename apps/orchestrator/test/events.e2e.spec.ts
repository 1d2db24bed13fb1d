import { ExecutionStatus } from '@upshift/contracts';
import type { EventEnvelope, ProgressEvent } from '@upshift/contracts';
import { eventually, testToken } from '@upshift/testing';
import { Client } from 'pg';
import { registerFleet } from './support/fleet-fixture';
import { SseClient } from './support/sse-client';
import type { ReceivedEvent } from './support/sse-client';
import { TestStack } from './support/stack';
import { createUpgrade, operate } from './support/upgrades';

const TERMINAL: string[] = [
  ExecutionStatus.COMPLETED,
  ExecutionStatus.FAILED,
  ExecutionStatus.ROLLED_BACK,
  ExecutionStatus.CANCELLED,
];

const envelope = (event: ReceivedEvent) => JSON.parse(event.data) as EventEnvelope<ProgressEvent>;
const isTerminalChange = (event: ReceivedEvent) => {
  const data = envelope(event).data;
  return data.kind === 'ExecutionStatusChanged' && TERMINAL.includes(data.to);
};
/** The last element, which the test knows is there. */
function last<T>(items: T[]): T {
  const item = items[items.length - 1];
  if (item === undefined) throw new Error('expected at least one element');
  return item;
}
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/**
 * The server-sent event streams (ADR 0084) against the real stack: Postgres, Redis, the broker, the
 * registry, the test worker and agents. What a stream sends is compared with what Kafka carried.
 */
describe('orchestrator event streams (e2e)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await TestStack.start('orch_events');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const executionStream = (id: string, lastEventId?: string, token: string | null = stack.adminToken) =>
    SseClient.open(`${stack.api}/upgrades/${id}/events`, token, lastEventId);
  const tenantStream = (tenantId: string, lastEventId?: string, token: string | null = stack.adminToken) =>
    SseClient.open(`${stack.api}/tenants/${tenantId}/events`, token, lastEventId);

  /** Kafka's upgrade.progress for the execution once its terminal event is there. */
  const publishedEvents = (executionId: string) =>
    eventually(
      async () => {
        const events = stack.progress.events(executionId);
        return events.some((e) => e.data.kind === 'ExecutionStatusChanged' && TERMINAL.includes(e.data.to))
          ? events
          : undefined;
      },
      { what: `the terminal progress event of ${executionId} on Kafka` },
    );

  it('follows a running execution to COMPLETED with the envelopes Kafka carries, then ends; a reconnect gets 204', async () => {
    const fleet = await registerFleet(stack, 4);
    const created = await createUpgrade(stack, fleet, { strategy: 'ROLLING' });
    const stream = await executionStream(created.id);
    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    expect((await operate(stack, created.id, 'start')).status).toBe(200);

    const { events, ended } = await stream.readUntil(() => false);
    expect(ended).toBe(true);
    const published = await publishedEvents(created.id);
    expect(events.map((e) => e.id)).toEqual(range(published.length).map(String));
    expect(events.map(envelope)).toEqual(published);
    expect(events.map((e) => e.event)).toEqual(published.map((e) => e.data.kind));
    expect(events.filter(isTerminalChange).map((e) => envelope(e).data)).toMatchObject([
      { to: ExecutionStatus.COMPLETED },
    ]);

    const again = await executionStream(created.id, String(published.length));
    expect(again.status).toBe(204);
    // The query stands in for the header (curl); one before the end replays only the last event.
    const viaQuery = await SseClient.open(
      `${stack.api}/upgrades/${created.id}/events?lastEventId=${published.length - 1}`,
      stack.adminToken,
    );
    const rest = await viaQuery.readUntil(() => false);
    expect(rest.events.map((e) => e.id)).toEqual([String(published.length)]);
  });

  it('resumes after Last-Event-ID mid-run: the two connections together are the whole gap-free sequence, nothing repeated', async () => {
    const fleet = await registerFleet(stack, 6);
    const created = await createUpgrade(stack, fleet, { strategy: 'ROLLING', batchSize: 2 });
    const first = await executionStream(created.id);
    expect((await operate(stack, created.id, 'start')).status).toBe(200);
    const before = await first.readUntil((e) => e.event === 'BatchCompleted');
    first.close();
    expect(before.ended).toBe(false);

    const lastId = last(before.events).id;
    const second = await executionStream(created.id, lastId);
    const after = await second.readUntil(() => false);
    expect(after.ended).toBe(true);

    const published = await publishedEvents(created.id);
    const all = [...before.events, ...after.events];
    expect(all.map((e) => Number(e.id))).toEqual(range(published.length));
    expect(all.map(envelope)).toEqual(published);
    expect(after.events.length).toBeGreaterThan(0);
    expect((await stack.execution(created.id)).status).toBe(ExecutionStatus.COMPLETED);
  });

  it("follows a tenant's executions interleaved and resumes exactly from the cursor id", async () => {
    const a = await registerFleet(stack, 4);
    const b = await registerFleet(stack, 4, { tenantId: a.tenantId });
    const stream = await tenantStream(a.tenantId);
    expect(stream.status).toBe(200);
    const one = await createUpgrade(stack, a, { strategy: 'ROLLING' });
    const two = await createUpgrade(stack, b, { strategy: 'ROLLING' });
    expect((await operate(stack, one.id, 'start')).status).toBe(200);
    expect((await operate(stack, two.id, 'start')).status).toBe(200);

    let count = 0;
    const firstPart = await stream.readUntil(() => ++count === 12);
    stream.close();
    const cursor = last(firstPart.events).id;
    const resumed = await tenantStream(a.tenantId, cursor);
    const finished = new Set<string>();
    const secondPart = await resumed.readUntil((e) => {
      if (isTerminalChange(e)) finished.add(envelope(e).executionid);
      return finished.size === 2;
    });
    // Lines of the transcript may follow the terminal change: read up to the last event Kafka has.
    const expected = new Map([
      [one.id, (await publishedEvents(one.id)).length],
      [two.id, (await publishedEvents(two.id)).length],
    ]);
    const seen = (events: ReceivedEvent[], id: string) =>
      events.filter((e) => envelope(e).executionid === id).length;
    const received = [...firstPart.events, ...secondPart.events];
    while ([...expected].some(([id, n]) => seen(received, id) < n)) {
      const next = await resumed.next();
      if (next === null) break;
      received.push(next);
    }
    resumed.close();

    const all = received.map(envelope);
    for (const id of [one.id, two.id]) {
      const published = await publishedEvents(id);
      const mine = all.filter((e) => e.executionid === id);
      expect(mine.map((e) => e.sequence)).toEqual(range(published.length));
      expect(mine).toEqual(published);
    }
    expect(all.every((e) => e.tenantid === a.tenantId)).toBe(true);
    // Interleaved: the stream switches between the two executions more than once.
    const switches = all.filter((e, i) => i > 0 && e.executionid !== all[i - 1]?.executionid).length;
    expect(switches).toBeGreaterThan(1);
  });

  it("answers 404 for another tenant's execution and tenant, 401 without a token, 400 for a foreign Last-Event-ID", async () => {
    const fleet = await registerFleet(stack, 2);
    const created = await createUpgrade(stack, fleet);
    const stranger = await testToken({ sub: 'stranger', roles: ['viewer'], tenants: ['someone-else'] });

    const hidden = await executionStream(created.id, undefined, stranger);
    expect(hidden.status).toBe(404);
    expect(JSON.parse(hidden.body)).toMatchObject({ type: 'urn:upshift:problem:not-found' });
    expect((await tenantStream(fleet.tenantId, undefined, stranger)).status).toBe(404);
    expect((await executionStream(created.id, undefined, null)).status).toBe(401);
    expect((await tenantStream(fleet.tenantId, undefined, null)).status).toBe(401);

    const foreign = await executionStream(created.id, 'not-a-sequence');
    expect(foreign.status).toBe(400);
    expect(JSON.parse(foreign.body)).toMatchObject({ errors: [{ field: 'Last-Event-ID' }] });
  });

  it('tells a tenant stream whose cursor cannot be resumed to resync, with a cursor that can', async () => {
    const fleet = await registerFleet(stack, 2);
    const stream = await tenantStream(fleet.tenantId, 'garbage');
    const first = await stream.next();
    stream.close();
    expect(first).toMatchObject({ event: 'resync', id: expect.stringMatching(/^\d+\./) });
    expect(JSON.parse(first?.data ?? '')).toMatchObject({ tenantId: fleet.tenantId });
  });

  it('tells an execution stream whose next events are no longer kept to resync, then goes on with what is', async () => {
    const fleet = await registerFleet(stack, 2);
    const created = await createUpgrade(stack, fleet);
    expect((await operate(stack, created.id, 'cancel')).status).toBe(200);
    const published = await publishedEvents(created.id);
    // What the outbox's 24 h retention does to old published rows, here to the first two.
    const pg = new Client({ connectionString: stack.db.url });
    await pg.connect();
    try {
      await pg.query(
        `DELETE FROM orchestrator.outbox WHERE topic = 'upgrade.progress' AND message_key = $1
            AND (payload->>'sequence')::bigint <= 2`,
        [created.id],
      );
    } finally {
      await pg.end();
    }
    const stream = await executionStream(created.id);
    const { events, ended } = await stream.readUntil(() => false);
    expect(ended).toBe(true);
    expect(events[0]).toMatchObject({ event: 'resync', id: '2' });
    expect(JSON.parse(events[0]?.data ?? '')).toMatchObject({
      executionId: created.id,
      missedFrom: 1,
      missedTo: 2,
    });
    expect(events.slice(1).map(envelope)).toEqual(published.slice(2));
  });

  it('documents both streams in the OpenAPI document: text/event-stream, Last-Event-ID, 204 for an execution', async () => {
    const res = await fetch(`${stack.orchestrator.url}/api/docs-json`);
    const doc = (await res.json()) as {
      paths: Record<
        string,
        {
          get?: {
            responses: Record<string, { content?: Record<string, unknown> }>;
            parameters: { name: string; in: string }[];
          };
        }
      >;
    };
    for (const path of [
      '/api/v1/registry/upgrades/{executionId}/events',
      '/api/v1/registry/tenants/{tenantId}/events',
    ]) {
      const get = doc.paths[path]?.get;
      expect(Object.keys(get?.responses['200']?.content ?? {})).toEqual(['text/event-stream']);
      expect(get?.parameters.map((p) => `${p.in} ${p.name}`)).toEqual(
        expect.arrayContaining(['header Last-Event-ID', 'query lastEventId']),
      );
    }
    expect(doc.paths['/api/v1/registry/upgrades/{executionId}/events']?.get?.responses['204']).toBeDefined();
  });
});
