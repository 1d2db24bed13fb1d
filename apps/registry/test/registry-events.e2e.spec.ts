import { parseEnvelope, RegistryEventSchema, Topics } from '@upshift/contracts';
import type { EventEnvelope, RegistryEvent } from '@upshift/contracts';
import { eventually, startTestBroker } from '@upshift/testing';
import type { TestBroker } from '@upshift/testing';
import type { Consumer } from 'kafkajs';
import { RegistryOutboxRelay } from '../src/events/registry-outbox-relay';
import { generateSigningKeyPair } from '@upshift/signing';
import { API, RegistryTestContext, startRegistry } from './support/registry-test-app';
import { createComponent, createVersion, releaseVersion } from './support/catalog-builders';

interface Received {
  key: string;
  envelope: EventEnvelope<RegistryEvent>;
}

/** registry.events through the real outbox relay and the embedded Kafka broker. */
describe('registry.events (e2e, embedded broker)', () => {
  let broker: TestBroker;
  let ctx: RegistryTestContext;
  let consumer: Consumer;
  const received: Received[] = [];

  beforeAll(async () => {
    broker = await startTestBroker({ label: 'registry-events' });
    ctx = await startRegistry('events', { KAFKA_BROKERS: broker.address, OUTBOX_RELAY_ENABLED: true });
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await ctx?.close();
    await broker?.stop();
  });

  const relay = () => ctx.registry.app.get(RegistryOutboxRelay).relay;

  it('publishes version and inventory events in order, keyed and enveloped as the contract says', async () => {
    const componentId = await createComponent(ctx.http, 'evented');
    const version = await createVersion(ctx.http, componentId, { version: '1.0.0' });
    const base = `${API}/components/${componentId}/versions/${version.id}`;
    await ctx.http.post(`${base}/publish`).expect(200);
    await ctx.http.post(`${base}/deprecate`).expect(200);
    const instance = await ctx.http
      .post(`${API}/tenants/tenant-1/instances`)
      .send({ componentId, versionId: version.id, name: 'i-1', agentUrl: 'http://127.0.0.1:7070' })
      .expect(201);
    await ctx.http.post(`${base}/yank`).send({ reason: 'bad build' }).expect(200);
    await relay().flush();

    const kafka = broker.kafka({ clientId: 'registry-events-test' });
    // A short fetch wait: disconnect waits for the fetch in flight.
    consumer = kafka.consumer({ groupId: `registry-events-test-${Date.now()}`, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: Topics.REGISTRY_EVENTS, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push({
          key: message.key?.toString() ?? '',
          envelope: parseEnvelope(message.value, RegistryEventSchema) as EventEnvelope<RegistryEvent>,
        });
      },
    });
    await eventually(() => (received.length >= 4 ? true : undefined), {
      timeoutMs: 20_000,
      what: '4 registry events',
    });

    expect(received.map((r) => r.envelope.type)).toEqual([
      'upshift.registry.VersionPublished',
      'upshift.registry.VersionDeprecated',
      'upshift.registry.InstanceRegistered',
      'upshift.registry.VersionYanked',
    ]);
    const [published, deprecated, registered, yanked] = received;
    expect(published).toMatchObject({
      key: componentId,
      envelope: {
        specversion: '1.0',
        source: '/upshift/registry',
        subject: componentId,
        tenantid: '',
        data: {
          kind: 'VersionPublished',
          componentId,
          componentName: 'evented',
          versionId: version.id,
          version: '1.0.0',
          channel: 'stable',
          mandatory: false,
          breaking: false,
          signed: false,
        },
      },
    });
    expect(deprecated?.envelope.data).toMatchObject({ kind: 'VersionDeprecated', versionId: version.id });
    expect(registered).toMatchObject({
      key: instance.body.id,
      envelope: {
        tenantid: 'tenant-1',
        data: {
          kind: 'InstanceRegistered',
          instanceId: instance.body.id,
          tenantId: 'tenant-1',
          version: '1.0.0',
        },
      },
    });
    expect(yanked?.envelope.data).toMatchObject({ kind: 'VersionYanked', reason: 'bad build' });
    expect(new Set(received.map((r) => r.envelope.id)).size).toBe(4);

    const { rows } = await ctx.pg.query(
      'SELECT count(*)::int AS n FROM registry.outbox WHERE published_at IS NULL',
    );
    expect(rows[0].n).toBe(0);
  });

  it('emits nothing for a refused operation (422 signature, 409 transition)', async () => {
    const componentId = await createComponent(ctx.http);
    await ctx.http
      .post(`${API}/components/${componentId}/signing-keys`)
      .send({ publicKey: generateSigningKeyPair().publicKeyPem })
      .expect(201);
    const unsigned = await createVersion(ctx.http, componentId, { version: '1.0.0' });
    await ctx.http.post(`${API}/components/${componentId}/versions/${unsigned.id}/publish`).expect(422);
    await ctx.http.post(`${API}/components/${componentId}/versions/${unsigned.id}/yank`).expect(409);

    // A marker event after the refusals: once it arrives, anything the refusals wrote would have too.
    const marker = await createComponent(ctx.http);
    const markerVersion = await releaseVersion(ctx.http, marker, { version: '9.9.9' });
    await relay().flush();
    await eventually(
      () =>
        received.some(
          (r) =>
            r.envelope.data.kind === 'VersionPublished' && r.envelope.data.versionId === markerVersion.id,
        )
          ? true
          : undefined,
      { timeoutMs: 20_000, what: 'the marker event' },
    );
    const fromRefused = received.filter(
      (r) => 'componentId' in r.envelope.data && r.envelope.data.componentId === componentId,
    );
    expect(fromRefused).toEqual([]);
  });
});
