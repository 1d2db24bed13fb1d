import { ErrorCode } from './error-codes';
import {
  buildRecordBatch,
  checkProducedRecords,
  Compression,
  decodeRecordBatch,
  readBatchHeader,
  splitBatches,
} from './record-batch';

describe('record batch v2', () => {
  const records = [
    { key: 'a', value: 'one', headers: { trace: 'x' }, timestamp: 1000 },
    { key: null, value: null, timestamp: 1005 },
    { key: 'c', value: Buffer.alloc(2000, 1), timestamp: 1002 },
  ];

  it.each([Compression.NONE, Compression.GZIP])(
    'builds, checks and decodes a batch (compression %i)',
    (compression) => {
      const batch = buildRecordBatch(records, {
        baseOffset: 10n,
        compression,
        producerId: 5n,
        producerEpoch: 0,
        baseSequence: 0,
      });
      const check = checkProducedRecords(batch);
      expect(check.ok).toBe(true);
      const header = readBatchHeader(batch);
      expect(header).toEqual(
        expect.objectContaining({
          magic: 2,
          recordCount: 3,
          lastOffsetDelta: 2,
          baseTimestamp: 1000n,
          maxTimestamp: 1005n,
          producerId: 5n,
        }),
      );
      const decoded = decodeRecordBatch(batch).records;
      expect(decoded.map((r) => r.offset)).toEqual([10n, 11n, 12n]);
      expect(decoded[0].key?.toString()).toBe('a');
      expect(decoded[0].headers).toEqual([{ key: 'trace', value: Buffer.from('x') }]);
      expect(decoded[1].value).toBeNull();
      expect(decoded[2].value?.length).toBe(2000);
      expect(decoded[1].timestamp).toBe(1005n);
    },
  );

  it('finds corruption by CRC-32C', () => {
    const batch = buildRecordBatch(records);
    batch[batch.length - 3] ^= 1;
    expect(checkProducedRecords(batch)).toEqual(
      expect.objectContaining({ ok: false, errorCode: ErrorCode.CORRUPT_MESSAGE }),
    );
  });

  it('refuses old message formats, truncation and missing records', () => {
    const batch = buildRecordBatch(records);
    const old = Buffer.from(batch);
    old.writeInt8(1, 16);
    expect(checkProducedRecords(old)).toEqual(
      expect.objectContaining({ errorCode: ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT }),
    );
    expect(checkProducedRecords(batch.subarray(0, batch.length - 1))).toEqual(
      expect.objectContaining({ errorCode: ErrorCode.CORRUPT_MESSAGE }),
    );
    expect(checkProducedRecords(null)).toEqual(
      expect.objectContaining({ errorCode: ErrorCode.CORRUPT_MESSAGE }),
    );
  });

  it('splits concatenated batches and drops a partial trailing one', () => {
    const a = buildRecordBatch([{ value: 'a' }]);
    const b = buildRecordBatch([{ value: 'b' }]);
    const joined = Buffer.concat([a, b, b.subarray(0, 30)]);
    expect(splitBatches(joined)).toEqual([a, b]);
  });
});
