import { crc32c } from '../util/crc32c';

/**
 * Field positions of a record batch v2 as it sits in a segment file (the same bytes a producer
 * sends and a consumer receives). The log reads these fields in place: on the produce and fetch
 * paths it never decodes the records inside a batch.
 *
 *   0 baseOffset int64 | 8 batchLength int32 | 12 partitionLeaderEpoch int32 | 16 magic int8
 *   17 crc uint32 | 21 attributes int16 | 23 lastOffsetDelta int32 | 27 baseTimestamp int64
 *   35 maxTimestamp int64 | 43 producerId int64 | 51 producerEpoch int16 | 53 baseSequence int32
 *   57 recordCount int32 | 61 records…
 *
 * The CRC-32C covers bytes 21..end, so baseOffset and partitionLeaderEpoch can be rewritten
 * when the log assigns offsets without touching the CRC.
 */
export const Batch = {
  BASE_OFFSET: 0,
  LENGTH: 8,
  LEADER_EPOCH: 12,
  MAGIC: 16,
  CRC: 17,
  ATTRIBUTES: 21,
  LAST_OFFSET_DELTA: 23,
  BASE_TIMESTAMP: 27,
  MAX_TIMESTAMP: 35,
  PRODUCER_ID: 43,
  PRODUCER_EPOCH: 51,
  BASE_SEQUENCE: 53,
  RECORD_COUNT: 57,
  HEADER_SIZE: 61,
  /** baseOffset and batchLength, which batchLength does not count. */
  LOG_OVERHEAD: 12,
} as const;

export const COMPRESSION_MASK = 0x07;
export const TIMESTAMP_TYPE_LOG_APPEND = 0x08;
export const CONTROL_BIT = 0x20;

/** Whole size of the batch at `at` (header included), from its batchLength field. */
export function batchSize(buf: Buffer, at = 0): number {
  return buf.readInt32BE(at + Batch.LENGTH) + Batch.LOG_OVERHEAD;
}

/** Offset of the last record of the batch at `at`. */
export function lastOffsetOf(buf: Buffer, at = 0): bigint {
  return buf.readBigInt64BE(at) + BigInt(buf.readInt32BE(at + Batch.LAST_OFFSET_DELTA));
}

/** Recomputes the CRC of a batch whose attributes-onward bytes were changed (compaction, LogAppendTime). */
export function writeBatchCrc(batch: Buffer): void {
  batch.writeUInt32BE(crc32c(batch.subarray(Batch.ATTRIBUTES)), Batch.CRC);
}

export type StoredBatchProblem = 'short' | 'length' | 'magic' | 'crc' | 'offset';

/**
 * Checks a batch read back from a segment during recovery: enough bytes for its header and its
 * declared length, magic 2, a CRC that matches, and offsets that move forward. Returns the batch
 * size, or what is wrong with it (a torn or garbled tail).
 */
export function checkStoredBatch(
  buf: Buffer,
  at: number,
  available: number,
  minBaseOffset: bigint,
): { ok: true; size: number } | { ok: false; problem: StoredBatchProblem } {
  if (available < Batch.HEADER_SIZE) return { ok: false, problem: 'short' };
  const size = batchSize(buf, at);
  if (size < Batch.HEADER_SIZE) return { ok: false, problem: 'length' };
  if (size > available) return { ok: false, problem: 'short' };
  if (buf[at + Batch.MAGIC] !== 2) return { ok: false, problem: 'magic' };
  const stored = buf.readUInt32BE(at + Batch.CRC);
  if (crc32c(buf.subarray(at + Batch.ATTRIBUTES, at + size)) !== stored) return { ok: false, problem: 'crc' };
  if (buf.readBigInt64BE(at) < minBaseOffset || buf.readInt32BE(at + Batch.LAST_OFFSET_DELTA) < 0) {
    return { ok: false, problem: 'offset' };
  }
  return { ok: true, size };
}
