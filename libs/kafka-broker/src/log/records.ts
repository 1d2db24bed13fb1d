import { gunzipSync, gzipSync } from 'zlib';
import { Batch, COMPRESSION_MASK, TIMESTAMP_TYPE_LOG_APPEND, writeBatchCrc } from './batch-format';

/**
 * Decoding and encoding of the records inside a v2 batch, for the few places that need them:
 * compaction (keys, tombstones) and timestamp lookups. The produce and fetch paths never come here.
 *
 * Record layout (varints are zigzag-encoded): length varint | attributes int8 |
 * timestampDelta varlong | offsetDelta varint | keyLength varint | key | valueLength varint | value |
 * headerCount varint | headers…  (lengths of -1 mean null).
 */
export const Codec = { NONE: 0, GZIP: 1, SNAPPY: 2, LZ4: 3, ZSTD: 4 } as const;

export class UnsupportedCodecError extends Error {
  constructor(readonly codec: number) {
    super(`record batch compression codec ${codec} cannot be decoded here (only none and gzip)`);
    this.name = 'UnsupportedCodecError';
  }
}

export class RecordFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordFormatError';
  }
}

export interface LogRecord {
  attributes: number;
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  /** The header section as stored (count, then entries): compaction carries it over untouched. */
  headers: Buffer;
}

export interface DecodedBatch {
  baseOffset: bigint;
  partitionLeaderEpoch: number;
  attributes: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  records: LogRecord[];
}

export const codecOf = (attributes: number): number => attributes & COMPRESSION_MASK;
export const canDecode = (attributes: number): boolean =>
  codecOf(attributes) === Codec.NONE || codecOf(attributes) === Codec.GZIP;

/** Decodes the batch that starts at byte 0 of `batch` (its declared length is honoured). */
export function decodeBatch(batch: Buffer): DecodedBatch {
  const size = batch.readInt32BE(Batch.LENGTH) + Batch.LOG_OVERHEAD;
  if (size > batch.length || size < Batch.HEADER_SIZE)
    throw new RecordFormatError('record batch is truncated');
  const attributes = batch.readInt16BE(Batch.ATTRIBUTES);
  const codec = codecOf(attributes);
  let body = batch.subarray(Batch.HEADER_SIZE, size);
  if (codec === Codec.GZIP) body = gunzipSync(body);
  else if (codec !== Codec.NONE) throw new UnsupportedCodecError(codec);
  const count = batch.readInt32BE(Batch.RECORD_COUNT);
  const cursor = new Cursor(body);
  const records: LogRecord[] = [];
  for (let i = 0; i < count; i++) {
    const length = cursor.varint();
    const end = cursor.pos + length;
    if (length < 0 || end > body.length) throw new RecordFormatError(`record ${i} overruns its batch`);
    const recordAttributes = cursor.byte();
    const timestampDelta = cursor.varlong();
    const offsetDelta = cursor.varint();
    const key = cursor.bytes();
    const value = cursor.bytes();
    const headersStart = cursor.pos;
    if (end < headersStart) throw new RecordFormatError(`record ${i} is shorter than its fields`);
    cursor.pos = end;
    records.push({
      attributes: recordAttributes,
      offsetDelta,
      timestampDelta,
      key,
      value,
      headers: body.subarray(headersStart, end),
    });
  }
  return {
    baseOffset: batch.readBigInt64BE(Batch.BASE_OFFSET),
    partitionLeaderEpoch: batch.readInt32BE(Batch.LEADER_EPOCH),
    attributes,
    baseTimestamp: Number(batch.readBigInt64BE(Batch.BASE_TIMESTAMP)),
    maxTimestamp: Number(batch.readBigInt64BE(Batch.MAX_TIMESTAMP)),
    producerId: batch.readBigInt64BE(Batch.PRODUCER_ID),
    producerEpoch: batch.readInt16BE(Batch.PRODUCER_EPOCH),
    baseSequence: batch.readInt32BE(Batch.BASE_SEQUENCE),
    records,
  };
}

/** The timestamp a record carries, honouring the batch's LogAppendTime flag. */
export function recordTimestamp(batch: DecodedBatch, record: LogRecord): number {
  return batch.attributes & TIMESTAMP_TYPE_LOG_APPEND
    ? batch.maxTimestamp
    : batch.baseTimestamp + record.timestampDelta;
}

/**
 * Encodes a batch with a fresh CRC. Offset deltas and timestamp deltas are taken as given (relative
 * to baseOffset and baseTimestamp); lastOffsetDelta and maxTimestamp are derived from the records,
 * except that a LogAppendTime batch keeps the maxTimestamp given.
 */
export function encodeBatch(batch: DecodedBatch): Buffer {
  if (batch.records.length === 0) throw new RecordFormatError('a record batch needs at least one record');
  const parts: Buffer[] = [];
  let maxTimestamp = -Infinity;
  for (const record of batch.records) {
    parts.push(encodeRecord(record));
    maxTimestamp = Math.max(maxTimestamp, batch.baseTimestamp + record.timestampDelta);
  }
  if (batch.attributes & TIMESTAMP_TYPE_LOG_APPEND) maxTimestamp = batch.maxTimestamp;
  const codec = codecOf(batch.attributes);
  let body = Buffer.concat(parts);
  if (codec === Codec.GZIP) body = gzipSync(body);
  else if (codec !== Codec.NONE) throw new UnsupportedCodecError(codec);
  const out = Buffer.allocUnsafe(Batch.HEADER_SIZE + body.length);
  const last = batch.records[batch.records.length - 1];
  out.writeBigInt64BE(batch.baseOffset, Batch.BASE_OFFSET);
  out.writeInt32BE(out.length - Batch.LOG_OVERHEAD, Batch.LENGTH);
  out.writeInt32BE(batch.partitionLeaderEpoch, Batch.LEADER_EPOCH);
  out.writeInt8(2, Batch.MAGIC);
  out.writeInt16BE(batch.attributes, Batch.ATTRIBUTES);
  out.writeInt32BE(last.offsetDelta, Batch.LAST_OFFSET_DELTA);
  out.writeBigInt64BE(BigInt(batch.baseTimestamp), Batch.BASE_TIMESTAMP);
  out.writeBigInt64BE(BigInt(maxTimestamp), Batch.MAX_TIMESTAMP);
  out.writeBigInt64BE(batch.producerId, Batch.PRODUCER_ID);
  out.writeInt16BE(batch.producerEpoch, Batch.PRODUCER_EPOCH);
  out.writeInt32BE(batch.baseSequence, Batch.BASE_SEQUENCE);
  out.writeInt32BE(batch.records.length, Batch.RECORD_COUNT);
  body.copy(out, Batch.HEADER_SIZE);
  writeBatchCrc(out);
  return out;
}

export interface SimpleRecord {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  timestamp?: number;
  headers?: Record<string, string>;
}

/** Builds a batch from plain records (tests and tools), producer fields unset unless given. */
export function buildBatch(
  records: SimpleRecord[],
  opts: {
    baseOffset?: bigint;
    gzip?: boolean;
    producerId?: bigint;
    producerEpoch?: number;
    baseSequence?: number;
    now?: number;
  } = {},
): Buffer {
  const now = opts.now ?? Date.now();
  const baseTimestamp = records[0]?.timestamp ?? now;
  const toBuffer = (v: Buffer | string | null | undefined): Buffer | null =>
    v === null || v === undefined ? null : typeof v === 'string' ? Buffer.from(v) : v;
  return encodeBatch({
    baseOffset: opts.baseOffset ?? 0n,
    partitionLeaderEpoch: -1,
    attributes: opts.gzip ? Codec.GZIP : Codec.NONE,
    baseTimestamp,
    maxTimestamp: baseTimestamp,
    producerId: opts.producerId ?? -1n,
    producerEpoch: opts.producerEpoch ?? -1,
    baseSequence: opts.baseSequence ?? -1,
    records: records.map((r, i) => ({
      attributes: 0,
      offsetDelta: i,
      timestampDelta: (r.timestamp ?? now) - baseTimestamp,
      key: toBuffer(r.key),
      value: toBuffer(r.value),
      headers: encodeHeaders(r.headers ?? {}),
    })),
  });
}

function encodeHeaders(headers: Record<string, string>): Buffer {
  const out = new Encoder();
  const entries = Object.entries(headers);
  out.varint(entries.length);
  for (const [k, v] of entries) {
    out.bytes(Buffer.from(k));
    out.bytes(Buffer.from(v));
  }
  return out.finish();
}

function encodeRecord(record: LogRecord): Buffer {
  const inner = new Encoder();
  inner.byte(record.attributes);
  inner.varlong(record.timestampDelta);
  inner.varint(record.offsetDelta);
  inner.bytes(record.key);
  inner.bytes(record.value);
  inner.raw(record.headers);
  const body = inner.finish();
  const out = new Encoder();
  out.varint(body.length);
  out.raw(body);
  return out.finish();
}

/** Reads zigzag varints as numbers: record fields never need more than 53 bits. */
class Cursor {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  byte(): number {
    if (this.pos >= this.buf.length) throw new RecordFormatError('record is truncated');
    return this.buf[this.pos++];
  }

  private uvarlong(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new RecordFormatError('varint is longer than 10 bytes');
  }

  varlong(): number {
    const z = this.uvarlong();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  varint(): number {
    return this.varlong();
  }

  bytes(): Buffer | null {
    const length = this.varint();
    if (length < 0) return null;
    if (this.pos + length > this.buf.length) throw new RecordFormatError('record field overruns the record');
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }
}

class Encoder {
  private readonly parts: Buffer[] = [];
  private scratch: number[] = [];

  byte(b: number): void {
    this.scratch.push(b & 0xff);
  }

  varlong(n: number): void {
    let z = n >= 0 ? n * 2 : -n * 2 - 1;
    while (z >= 128) {
      this.scratch.push((z % 128) | 0x80);
      z = Math.floor(z / 128);
    }
    this.scratch.push(z);
  }

  varint(n: number): void {
    this.varlong(n);
  }

  bytes(b: Buffer | null): void {
    if (b === null) {
      this.varint(-1);
      return;
    }
    this.varint(b.length);
    this.raw(b);
  }

  raw(b: Buffer): void {
    this.flushScratch();
    this.parts.push(b);
  }

  finish(): Buffer {
    this.flushScratch();
    return Buffer.concat(this.parts);
  }

  private flushScratch(): void {
    if (this.scratch.length > 0) {
      this.parts.push(Buffer.from(this.scratch));
      this.scratch = [];
    }
  }
}
