import fc from 'fast-check';
import { crc32c } from '../util/crc32c';
import { Batch } from './batch-format';
import { buildBatch, Codec, decodeBatch, encodeBatch, UnsupportedCodecError } from './records';

describe('record batch v2 records', () => {
  it('round-trips keys, values, nulls, headers and timestamps, plain and gzip', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            key: fc.option(fc.string(), { nil: null }),
            value: fc.option(fc.string(), { nil: null }),
            timestamp: fc.integer({ min: 0, max: 4_000_000_000_000 }),
            headers: fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
          }),
          { minLength: 1, maxLength: 20 },
        ),
        fc.boolean(),
        (records, gzip) => {
          const batch = buildBatch(records, { gzip, baseOffset: 42n });
          expect(crc32c(batch.subarray(Batch.ATTRIBUTES))).toBe(batch.readUInt32BE(Batch.CRC));
          const decoded = decodeBatch(batch);
          expect(decoded.baseOffset).toBe(42n);
          expect(decoded.attributes & 7).toBe(gzip ? Codec.GZIP : Codec.NONE);
          expect(
            decoded.records.map((r) => ({
              key: r.key?.toString() ?? null,
              value: r.value?.toString() ?? null,
              timestamp: decoded.baseTimestamp + r.timestampDelta,
            })),
          ).toEqual(records.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp })));
          expect(decoded.maxTimestamp).toBe(Math.max(...records.map((r) => r.timestamp)));
          // Re-encoding what was decoded gives the same bytes for an uncompressed batch.
          if (!gzip) expect(encodeBatch(decoded)).toEqual(batch);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses to decode codecs it does not implement, naming the codec', () => {
    const batch = buildBatch([{ value: 'v' }]);
    batch.writeInt16BE(Codec.ZSTD, Batch.ATTRIBUTES);
    expect(() => decodeBatch(batch)).toThrow(UnsupportedCodecError);
  });

  it('reads large varints (negative timestamp deltas, long values) correctly', () => {
    const big = 'x'.repeat(70_000);
    const decoded = decodeBatch(
      buildBatch([
        { value: 'a', timestamp: 2_000_000_000_000 },
        { value: big, timestamp: 1 },
      ]),
    );
    expect(decoded.records[1].timestampDelta).toBe(1 - 2_000_000_000_000);
    expect(decoded.records[1].value?.length).toBe(70_000);
  });
});
