import { produceApi, type ProduceResponse } from '../src/api/00-produce';
import { fetchApi, type FetchResponse } from '../src/api/01-fetch';
import { metadataApi, type MetadataResponse } from '../src/api/03-metadata';
import { apiVersionsApi, type ApiVersionsResponse } from '../src/api/18-api-versions';
import { initProducerIdApi } from '../src/api/22-init-producer-id';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { ApiKey, SUPPORTED_APIS } from '../src/api/versions';
import { ErrorCode } from '../src/protocol/error-codes';
import { buildRecordBatch, decodeRecordBatch, splitBatches } from '../src/protocol/record-batch';
import { startTestBroker, type TestBroker } from '@upshift/testing';
import { RawClient } from './support/raw-client';

jest.setTimeout(30_000);

const advertisedTable = SUPPORTED_APIS.map((a) => ({
  apiKey: a.apiKey,
  minVersion: a.minVersion,
  maxVersion: a.maxVersion,
}));

describe('the broker over raw TCP', () => {
  let broker: TestBroker;
  const clients: RawClient[] = [];
  const connect = async (): Promise<RawClient> => {
    const c = await RawClient.connect(broker.port);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    broker = await startTestBroker({ defaultPartitions: 1, maxFrameBytes: 1024 * 1024 });
  });

  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  afterAll(async () => {
    await broker.stop();
  });

  const produce = async (
    c: RawClient,
    version: number,
    topic: string,
    records: Buffer,
    acks = 1,
  ): Promise<ProduceResponse | null> => {
    c.send(
      ApiKey.Produce,
      version,
      (w) =>
        produceApi.request.encode(w, version, {
          transactionalId: null,
          acks,
          timeoutMs: 1000,
          topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
        }),
      { flexibleHeader: version >= 9 },
    );
    if (acks === 0) return null;
    const { body } = await c.receive();
    if (version >= 9) body.skipTaggedFields();
    return produceApi.response.decode(body, version);
  };

  const ensureTopic = async (c: RawClient, topic: string): Promise<void> => {
    c.send(ApiKey.Metadata, 4, (w) =>
      metadataApi.request.encode(w, 4, {
        topics: [{ topicId: Buffer.alloc(16), name: topic }],
        allowAutoTopicCreation: true,
        includeTopicAuthorizedOperations: false,
      }),
    );
    const { body } = await c.receive();
    const meta = metadataApi.response.decode(body, 4);
    expect(meta.topics[0].errorCode).toBe(ErrorCode.NONE);
  };

  it('answers ApiVersions v3 (flexible request, response header v0) from the version table', async () => {
    const c = await connect();
    c.send(
      ApiKey.ApiVersions,
      3,
      (w) => w.compactNullableString('librdkafka').compactNullableString('2.0.2').emptyTaggedFields(),
      { flexibleHeader: true },
    );
    const { body } = await c.receive();
    const res: ApiVersionsResponse = apiVersionsApi.response.decode(body, 3);
    expect(res.errorCode).toBe(ErrorCode.NONE);
    expect(res.apiKeys).toEqual(advertisedTable);
    expect(body.remaining()).toBe(0);
  });

  it('answers an ApiVersions version it does not know with UNSUPPORTED_VERSION and the table in v0 layout', async () => {
    const c = await connect();
    c.send(
      ApiKey.ApiVersions,
      9,
      (w) => w.compactNullableString('future').compactNullableString('9').emptyTaggedFields(),
      { flexibleHeader: true },
    );
    const { body } = await c.receive();
    const res = apiVersionsApi.response.decode(body, 0);
    expect(res.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(res.apiKeys).toEqual(advertisedTable);
  });

  it('answers an unknown API key or version with UNSUPPORTED_VERSION and keeps the connection', async () => {
    const c = await connect();
    const id = c.send(999, 0, () => undefined);
    const unknown = await c.receive();
    expect(unknown.correlationId).toBe(id);
    expect(unknown.body.int16()).toBe(ErrorCode.UNSUPPORTED_VERSION);
    c.send(ApiKey.Produce, 2, () => undefined);
    expect((await c.receive()).body.int16()).toBe(ErrorCode.UNSUPPORTED_VERSION);
    c.send(ApiKey.ApiVersions, 0, () => undefined);
    expect(apiVersionsApi.response.decode((await c.receive()).body, 0).errorCode).toBe(ErrorCode.NONE);
  });

  it('reads Metadata v0 "no topics" as all topics and v1 as none; v12 is flexible', async () => {
    const c = await connect();
    await ensureTopic(c, 'meta.one');
    c.send(ApiKey.ApiVersions, 0, () => undefined);
    c.send(ApiKey.Metadata, 0, (w) => w.int32(0)); // kafka-python's opening pair, back to back
    expect(apiVersionsApi.response.decode((await c.receive()).body, 0).errorCode).toBe(0);
    const v0: MetadataResponse = metadataApi.response.decode((await c.receive()).body, 0);
    expect(v0.topics.map((t) => t.name)).toContain('meta.one');
    expect(v0.brokers).toEqual([{ nodeId: 1, host: '127.0.0.1', port: broker.port, rack: null }]);

    c.send(ApiKey.Metadata, 1, (w) => w.int32(0));
    expect(metadataApi.response.decode((await c.receive()).body, 1).topics).toEqual([]);

    c.send(
      ApiKey.Metadata,
      12,
      (w) =>
        metadataApi.request.encode(w, 12, {
          topics: null,
          allowAutoTopicCreation: false,
          includeTopicAuthorizedOperations: false,
        }),
      {
        flexibleHeader: true,
      },
    );
    const { body } = await c.receive();
    body.skipTaggedFields(); // response header v1
    const v12 = metadataApi.response.decode(body, 12);
    expect(v12.controllerId).toBe(1);
    expect(v12.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const one = v12.topics.find((t) => t.name === 'meta.one');
    expect(one?.topicId.equals(Buffer.alloc(16))).toBe(false);
    expect(body.remaining()).toBe(0);
  });

  it('answers pipelined requests in order while a Fetch long-polls, and wakes the Fetch on append', async () => {
    const reader = await connect();
    const writer = await connect();
    await ensureTopic(writer, 'poll.me');
    const fetchReq = {
      replicaId: -1,
      // Longer than this test's timeout: only an append can end this poll in time.
      maxWaitMs: 120_000,
      minBytes: 1,
      maxBytes: 1024 * 1024,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: 'poll.me',
          partitions: [
            {
              partition: 0,
              currentLeaderEpoch: -1,
              fetchOffset: 0n,
              logStartOffset: -1n,
              partitionMaxBytes: 1024 * 1024,
            },
          ],
        },
      ],
    };
    const fetchId = reader.send(ApiKey.Fetch, 11, (w) => fetchApi.request.encode(w, 11, fetchReq));
    const versionsId = reader.send(ApiKey.ApiVersions, 2, () => undefined);
    await new Promise((r) => setTimeout(r, 200));
    const produced = await produce(
      writer,
      9,
      'poll.me',
      buildRecordBatch([{ key: 'k', value: 'hello' }], { compression: 1 }),
    );
    expect(produced?.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE);

    const first = await reader.receive();
    expect(first.correlationId).toBe(fetchId);
    const fetched: FetchResponse = fetchApi.response.decode(first.body, 11);
    const part = fetched.responses[0].partitions[0];
    expect(part.errorCode).toBe(ErrorCode.NONE);
    expect(part.highWatermark).toBe(1n);
    const [batch] = splitBatches(part.records ?? Buffer.alloc(0));
    expect(decodeRecordBatch(batch).records.map((r) => r.value?.toString())).toEqual(['hello']);
    expect((await reader.receive()).correlationId).toBe(versionsId);
  });

  it('refuses corrupt, snappy and multi-batch produce payloads with the Kafka error codes', async () => {
    const c = await connect();
    await ensureTopic(c, 'produce.checks');
    const corrupt = buildRecordBatch([{ value: 'x' }]);
    corrupt[corrupt.length - 1] ^= 0xff;
    expect(
      (await produce(c, 7, 'produce.checks', corrupt))?.responses[0].partitionResponses[0].errorCode,
    ).toBe(ErrorCode.CORRUPT_MESSAGE);

    const snappy = buildRecordBatch([{ value: 'x' }]);
    snappy.writeInt16BE(2, 21);
    const { crc32c } = jest.requireActual<typeof import('../src/util/crc32c')>('../src/util/crc32c');
    snappy.writeUInt32BE(crc32c(snappy.subarray(21)), 17);
    expect(
      (await produce(c, 7, 'produce.checks', snappy))?.responses[0].partitionResponses[0].errorCode,
    ).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);

    const two = Buffer.concat([buildRecordBatch([{ value: 'a' }]), buildRecordBatch([{ value: 'b' }])]);
    expect((await produce(c, 3, 'produce.checks', two))?.responses[0].partitionResponses[0].errorCode).toBe(
      ErrorCode.INVALID_RECORD,
    );

    const ok = await produce(c, 3, 'produce.checks', buildRecordBatch([{ value: 'a' }, { value: 'b' }]));
    expect(ok?.responses[0].partitionResponses[0]).toEqual(
      expect.objectContaining({ errorCode: 0, baseOffset: 0n }),
    );

    // acks=0: no response at all; the next request is still answered.
    await produce(c, 7, 'produce.checks', buildRecordBatch([{ value: 'c' }]), 0);
    const id = c.send(ApiKey.ApiVersions, 0, () => undefined);
    expect((await c.receive()).correlationId).toBe(id);
  });

  it('acknowledges an idempotent duplicate with its original offset and refuses a sequence gap', async () => {
    const c = await connect();
    await ensureTopic(c, 'idempotence.raw');
    c.send(ApiKey.InitProducerId, 1, (w) =>
      initProducerIdApi.request.encode(w, 1, {
        transactionalId: null,
        transactionTimeoutMs: 60_000,
        producerId: -1n,
        producerEpoch: -1,
      }),
    );
    const init = initProducerIdApi.response.decode((await c.receive()).body, 1);
    expect(init.errorCode).toBe(ErrorCode.NONE);
    const batch = (baseSequence: number): Buffer =>
      buildRecordBatch([{ value: `s${baseSequence}` }, { value: `s${baseSequence + 1}` }], {
        producerId: init.producerId,
        producerEpoch: init.producerEpoch,
        baseSequence,
      });
    const first = await produce(c, 7, 'idempotence.raw', batch(0));
    expect(first?.responses[0].partitionResponses[0]).toEqual(
      expect.objectContaining({ errorCode: 0, baseOffset: 0n }),
    );
    const retry = await produce(c, 7, 'idempotence.raw', batch(0));
    expect(retry?.responses[0].partitionResponses[0]).toEqual(
      expect.objectContaining({ errorCode: 0, baseOffset: 0n }),
    );
    const gap = await produce(c, 7, 'idempotence.raw', batch(5));
    expect(gap?.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    const next = await produce(c, 7, 'idempotence.raw', batch(2));
    expect(next?.responses[0].partitionResponses[0]).toEqual(
      expect.objectContaining({ errorCode: 0, baseOffset: 2n }),
    );
  });

  it('waits up to maxWaitMs for minBytes, then answers with what there is', async () => {
    const c = await connect();
    await ensureTopic(c, 'min.bytes');
    await produce(c, 7, 'min.bytes', buildRecordBatch([{ value: 'small' }]));
    c.send(ApiKey.Fetch, 4, (w) =>
      fetchApi.request.encode(w, 4, {
        replicaId: -1,
        maxWaitMs: 300,
        minBytes: 1024 * 1024,
        maxBytes: 4 * 1024 * 1024,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topic: 'min.bytes',
            partitions: [
              {
                partition: 0,
                currentLeaderEpoch: -1,
                fetchOffset: 0n,
                logStartOffset: -1n,
                partitionMaxBytes: 1024 * 1024,
              },
            ],
          },
        ],
      }),
    );
    const res = fetchApi.response.decode((await c.receive()).body, 4);
    const records = res.responses[0].partitions[0].records ?? Buffer.alloc(0);
    expect(decodeRecordBatch(splitBatches(records)[0]).records.map((r) => r.value?.toString())).toEqual([
      'small',
    ]);
  });

  it('closes only the offending connection on an oversized or malformed frame', async () => {
    const big = await connect();
    const size = Buffer.alloc(4);
    size.writeInt32BE(64 * 1024 * 1024);
    big.writeRaw(size);
    await big.waitClosed();

    const garbage = await connect();
    // Metadata v1 claiming a million topics in a 20-byte frame.
    garbage.send(ApiKey.Metadata, 1, (w) => w.int32(1_000_000).int16(3));
    await garbage.waitClosed();

    const negative = await connect();
    negative.writeRaw(Buffer.from([0xff, 0xff, 0xff, 0xf0]));
    await negative.waitClosed();

    const healthy = await connect();
    healthy.send(ApiKey.ApiVersions, 0, () => undefined);
    expect(apiVersionsApi.response.decode((await healthy.receive()).body, 0).errorCode).toBe(0);
  });

  it('serves many connections at once', async () => {
    const many = await Promise.all(Array.from({ length: 100 }, () => connect()));
    for (const c of many) c.send(ApiKey.ApiVersions, 1, () => undefined);
    const answers = await Promise.all(many.map((c) => c.receive()));
    expect(answers.every((a) => apiVersionsApi.response.decode(a.body, 1).errorCode === 0)).toBe(true);
  });
});

describe('producer ids across restarts', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'upshift-broker-pid-'));

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const initOnce = async (port: number): Promise<bigint> => {
    const c = await RawClient.connect(port);
    c.send(
      ApiKey.InitProducerId,
      4,
      (w) =>
        initProducerIdApi.request.encode(w, 4, {
          transactionalId: null,
          transactionTimeoutMs: 60_000,
          producerId: -1n,
          producerEpoch: -1,
        }),
      { flexibleHeader: true },
    );
    const { body } = await c.receive();
    body.skipTaggedFields(); // response header v1
    c.close();
    return initProducerIdApi.response.decode(body, 4).producerId;
  };

  it('never hands out the same producer id twice, even after a restart', async () => {
    const first = await startTestBroker({ dataDir });
    const a = await initOnce(first.port);
    const b = await initOnce(first.port);
    await first.stop();
    const second = await startTestBroker({ dataDir });
    const c = await initOnce(second.port);
    await second.stop();
    expect(b).toBe(a + 1n);
    expect(c > b).toBe(true);
  });
});
