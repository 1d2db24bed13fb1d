import { Batch, CONTROL_BIT } from './batch-format';
import { lastSequenceOf } from './producer-state';
import { canDecode, decodeBatch, encodeBatch, recordTimestamp } from './records';

/**
 * The record-level half of log compaction (ADR 0019): which records of a batch survive. The
 * segment-level half (choosing segments, writing and swapping files) is in segment-compaction.ts.
 *
 * A record survives when it is the latest for its key among the segments being cleaned. A latest
 * record that is a tombstone (null value) survives until delete.retention.ms after its timestamp,
 * so consumers that are behind still see the delete. Records without a key, control batches and
 * batches in a codec this broker cannot decode are kept as they are.
 */
export interface CompactionPass {
  nowMs: number;
  deleteRetentionMs: number;
  /** Key (bytes as latin1, a lossless 1:1 mapping) → offset of its latest record. */
  latest: Map<string, bigint>;
  recordsRead: number;
  recordsRemoved: number;
  tombstonesRemoved: number;
  /** Earliest time a kept tombstone becomes removable (Infinity when none). */
  nextTombstoneDeadline: number;
}

export function newCompactionPass(nowMs: number, deleteRetentionMs: number): CompactionPass {
  return {
    nowMs,
    deleteRetentionMs,
    latest: new Map(),
    recordsRead: 0,
    recordsRemoved: 0,
    tombstonesRemoved: 0,
    nextTombstoneDeadline: Number.POSITIVE_INFINITY,
  };
}

const isSkipped = (attributes: number): boolean => (attributes & CONTROL_BIT) !== 0 || !canDecode(attributes);

/** Notes each keyed record's offset; call over the batches in log order. */
export function indexBatchKeys(batch: Buffer, pass: CompactionPass): void {
  if (isSkipped(batch.readInt16BE(Batch.ATTRIBUTES))) return;
  const decoded = decodeBatch(batch);
  for (const record of decoded.records) {
    if (record.key !== null)
      pass.latest.set(record.key.toString('latin1'), decoded.baseOffset + BigInt(record.offsetDelta));
  }
}

/**
 * The batch with only its surviving records: the same buffer when all survive, null when none do,
 * otherwise a rewritten batch (base offset = first survivor's offset, fresh CRC, same codec).
 */
export function compactBatch(batch: Buffer, pass: CompactionPass): Buffer | null {
  if (isSkipped(batch.readInt16BE(Batch.ATTRIBUTES))) return batch;
  const decoded = decodeBatch(batch);
  pass.recordsRead += decoded.records.length;
  const kept = decoded.records.filter((record) => {
    if (record.key === null) return true;
    const offset = decoded.baseOffset + BigInt(record.offsetDelta);
    if (pass.latest.get(record.key.toString('latin1')) !== offset) return false;
    if (record.value !== null) return true;
    const removableAt = recordTimestamp(decoded, record) + pass.deleteRetentionMs;
    if (removableAt <= pass.nowMs) {
      pass.tombstonesRemoved++;
      return false;
    }
    pass.nextTombstoneDeadline = Math.min(pass.nextTombstoneDeadline, removableAt);
    return true;
  });
  pass.recordsRemoved += decoded.records.length - kept.length;
  if (kept.length === decoded.records.length) return batch;
  if (kept.length === 0) return null;
  const shift = kept[0].offsetDelta;
  return encodeBatch({
    ...decoded,
    baseOffset: decoded.baseOffset + BigInt(shift),
    baseSequence:
      decoded.baseSequence < 0 ? decoded.baseSequence : lastSequenceOf(decoded.baseSequence, shift),
    records: kept.map((record) => ({ ...record, offsetDelta: record.offsetDelta - shift })),
  });
}
