import { gunzipSync, gzipSync } from 'zlib';
import { crc32c } from '../util/crc32c';
import { ErrorCode } from './error-codes';
import { MalformedFrameError, Reader } from './reader';
import { Writer } from './writer';

/**
 * Record batch v2 ("magic 2"), the only message format this broker speaks (clients from Kafka 0.11
 * on). Layout, by byte offset:
 *
 *   0 baseOffset int64 | 8 batchLength int32 | 12 partitionLeaderEpoch int32 | 16 magic int8
 *   17 crc uint32 (CRC-32C of bytes 21..end) | 21 attributes int16 | 23 lastOffsetDelta int32
 *   27 baseTimestamp int64 | 35 maxTimestamp int64 | 43 producerId int64 | 51 producerEpoch int16
 *   53 baseSequence int32 | 57 recordCount int32 | 61 records…
 */
export const BATCH_HEADER_SIZE = 61;
/** baseOffset + batchLength: the part batchLength does not count. */
export const BATCH_LOG_OVERHEAD = 12;
export const CRC_OFFSET = 17;
export const ATTRIBUTES_OFFSET = 21;

export const Compression = { NONE: 0, GZIP: 1, SNAPPY: 2, LZ4: 3, ZSTD: 4 } as const;
const COMPRESSION_MASK = 0x07;
const TIMESTAMP_TYPE_BIT = 0x08;
const TRANSACTIONAL_BIT = 0x10;
const CONTROL_BIT = 0x20;

export interface BatchHeader {
  baseOffset: bigint;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

export function readBatchHeader(buf: Buffer, at = 0): BatchHeader {
  if (buf.length - at < BATCH_HEADER_SIZE)
    throw new MalformedFrameError('record batch shorter than its header');
  return {
    baseOffset: buf.readBigInt64BE(at),
    batchLength: buf.readInt32BE(at + 8),
    partitionLeaderEpoch: buf.readInt32BE(at + 12),
    magic: buf.readInt8(at + 16),
    crc: buf.readUInt32BE(at + 17),
    attributes: buf.readInt16BE(at + 21),
    lastOffsetDelta: buf.readInt32BE(at + 23),
    baseTimestamp: buf.readBigInt64BE(at + 27),
    maxTimestamp: buf.readBigInt64BE(at + 35),
    producerId: buf.readBigInt64BE(at + 43),
    producerEpoch: buf.readInt16BE(at + 51),
    baseSequence: buf.readInt32BE(at + 53),
    recordCount: buf.readInt32BE(at + 57),
  };
}

export const compressionOf = (attributes: number): number => attributes & COMPRESSION_MASK;
export const isTransactional = (attributes: number): boolean => (attributes & TRANSACTIONAL_BIT) !== 0;
export const isControl = (attributes: number): boolean => (attributes & CONTROL_BIT) !== 0;
export const usesLogAppendTime = (attributes: number): boolean => (attributes & TIMESTAMP_TYPE_BIT) !== 0;

export type ProducedBatchCheck =
  { ok: true; batch: Buffer; header: BatchHeader } | { ok: false; errorCode: number; errorMessage: string };

/**
 * What the broker checks before a produced batch reaches the log: exactly one v2 batch (Kafka
 * requires it from Produce v3 on), a length that matches, a CRC-32C that matches, a compression
 * codec we can read, and no transactional or control batches (transactions are not supported).
 * Records inside are not decoded on this hot path: the batch is stored as received.
 */
export function checkProducedRecords(records: Buffer | null): ProducedBatchCheck {
  if (records === null || records.length < BATCH_HEADER_SIZE) {
    return {
      ok: false,
      errorCode: ErrorCode.CORRUPT_MESSAGE,
      errorMessage: 'records are missing or shorter than a batch header',
    };
  }
  const magic = records.readInt8(16);
  if (magic !== 2) {
    return {
      ok: false,
      errorCode: ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
      errorMessage: `record batch magic ${magic} is not supported: use message format v2 (Kafka 0.11+ clients)`,
    };
  }
  const size = records.readInt32BE(8) + BATCH_LOG_OVERHEAD;
  if (size < BATCH_HEADER_SIZE || size > records.length) {
    return {
      ok: false,
      errorCode: ErrorCode.CORRUPT_MESSAGE,
      errorMessage: `record batch length ${size} does not match the ${records.length} bytes sent`,
    };
  }
  if (size !== records.length) {
    return {
      ok: false,
      errorCode: ErrorCode.INVALID_RECORD,
      errorMessage: 'produce requests must carry exactly one record batch per partition',
    };
  }
  const expected = records.readUInt32BE(CRC_OFFSET);
  const actual = crc32c(records.subarray(ATTRIBUTES_OFFSET)) >>> 0;
  if (expected !== actual) {
    return {
      ok: false,
      errorCode: ErrorCode.CORRUPT_MESSAGE,
      errorMessage: 'record batch CRC-32C does not match its contents',
    };
  }
  const header = readBatchHeader(records);
  const codec = compressionOf(header.attributes);
  if (codec !== Compression.NONE && codec !== Compression.GZIP) {
    return {
      ok: false,
      errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
      errorMessage: `compression codec ${codec} (snappy/lz4/zstd) is not supported by the embedded broker: use none or gzip`,
    };
  }
  if (isTransactional(header.attributes) || isControl(header.attributes)) {
    return {
      ok: false,
      errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
      errorMessage: 'transactions are not supported by the embedded broker',
    };
  }
  if (header.recordCount <= 0 || header.lastOffsetDelta !== header.recordCount - 1) {
    return {
      ok: false,
      errorCode: ErrorCode.INVALID_RECORD,
      errorMessage: 'record count and last offset delta disagree',
    };
  }
  return { ok: true, batch: records, header };
}

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface DecodedRecord {
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/** Decompresses (gzip) and decodes every record of one batch. Not used on the produce/fetch path. */
export function decodeRecordBatch(batch: Buffer): { header: BatchHeader; records: DecodedRecord[] } {
  const header = readBatchHeader(batch);
  const end = header.batchLength + BATCH_LOG_OVERHEAD;
  let body = batch.subarray(BATCH_HEADER_SIZE, end);
  const codec = compressionOf(header.attributes);
  if (codec === Compression.GZIP) body = gunzipSync(body);
  else if (codec !== Compression.NONE) throw new Error(`compression codec ${codec} is not supported`);
  const r = new Reader(body);
  const records: DecodedRecord[] = [];
  for (let i = 0; i < header.recordCount; i++) {
    const length = r.varint();
    const recordEnd = r.pos + length;
    r.int8(); // attributes, unused
    const timestampDelta = r.varlong();
    const offsetDelta = r.varint();
    const keyLen = r.varint();
    const key = keyLen < 0 ? null : Buffer.from(r.slice(keyLen));
    const valueLen = r.varint();
    const value = valueLen < 0 ? null : Buffer.from(r.slice(valueLen));
    const headerCount = r.varint();
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      const hk = r.slice(r.varint()).toString('utf8');
      const hvLen = r.varint();
      headers.push({ key: hk, value: hvLen < 0 ? null : Buffer.from(r.slice(hvLen)) });
    }
    if (r.pos !== recordEnd) throw new MalformedFrameError('record length does not match its fields');
    records.push({
      offset: header.baseOffset + BigInt(offsetDelta),
      timestamp: header.baseTimestamp + timestampDelta,
      key,
      value,
      headers,
    });
  }
  return { header, records };
}

/** Splits a run of concatenated batches (a Fetch response's records) into batches. */
export function splitBatches(records: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (records.length - at >= BATCH_HEADER_SIZE) {
    const size = records.readInt32BE(at + 8) + BATCH_LOG_OVERHEAD;
    if (at + size > records.length) break; // a partial trailing batch, as Fetch may return
    out.push(records.subarray(at, at + size));
    at += size;
  }
  return out;
}

export interface RecordInput {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, Buffer | string>;
  timestamp?: number;
}

export interface BuildBatchOptions {
  baseOffset?: bigint;
  compression?: 0 | 1;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  now?: number;
}

const toBuf = (v: Buffer | string): Buffer => (typeof v === 'string' ? Buffer.from(v) : v);

/** Builds one v2 batch with a valid CRC-32C (tests, tools, and the log's compaction rewrite). */
export function buildRecordBatch(records: RecordInput[], opts: BuildBatchOptions = {}): Buffer {
  if (records.length === 0) throw new Error('a record batch needs at least one record');
  const now = opts.now ?? Date.now();
  const baseTimestamp = BigInt(records[0].timestamp ?? now);
  let maxTimestamp = baseTimestamp;
  const body = new Writer(256);
  records.forEach((rec, i) => {
    const ts = BigInt(rec.timestamp ?? now);
    if (ts > maxTimestamp) maxTimestamp = ts;
    const r = new Writer(64);
    r.int8(0)
      .varlong(ts - baseTimestamp)
      .varint(i);
    const key = rec.key === undefined || rec.key === null ? null : toBuf(rec.key);
    if (key === null) r.varint(-1);
    else r.varint(key.length).raw(key);
    const value = rec.value === null ? null : toBuf(rec.value);
    if (value === null) r.varint(-1);
    else r.varint(value.length).raw(value);
    const headers = Object.entries(rec.headers ?? {});
    r.varint(headers.length);
    for (const [hk, hv] of headers) {
      const hkb = Buffer.from(hk);
      const hvb = toBuf(hv);
      r.varint(hkb.length).raw(hkb).varint(hvb.length).raw(hvb);
    }
    const encoded = r.toBuffer();
    body.varint(encoded.length).raw(encoded);
  });
  let payload = body.toBuffer();
  const compression = opts.compression ?? 0;
  if (compression === Compression.GZIP) payload = gzipSync(payload);
  const w = new Writer(BATCH_HEADER_SIZE + payload.length);
  w.int64(opts.baseOffset ?? 0n)
    .int32(BATCH_HEADER_SIZE - BATCH_LOG_OVERHEAD + payload.length)
    .int32(-1)
    .int8(2)
    .uint32(0)
    .int16(compression)
    .int32(records.length - 1)
    .int64(baseTimestamp)
    .int64(maxTimestamp)
    .int64(opts.producerId ?? -1n)
    .int16(opts.producerEpoch ?? -1)
    .int32(opts.baseSequence ?? -1)
    .int32(records.length)
    .raw(payload);
  const batch = Buffer.from(w.toBuffer());
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES_OFFSET)) >>> 0, CRC_OFFSET);
  return batch;
}
