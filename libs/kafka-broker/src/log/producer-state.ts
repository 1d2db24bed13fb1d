/**
 * Idempotent-producer bookkeeping for one partition: per producer id, its current epoch and the
 * metadata of its last five batches (Kafka keeps five because a producer may have up to five
 * requests in flight, so a retried batch is always among them).
 *
 * The rules follow Kafka's ProducerStateManager:
 * - a batch whose (epoch, first sequence, last sequence) matches one of the five is a duplicate:
 *   acknowledged again with its original base offset, not written;
 * - an epoch below the current one is fenced (INVALID_PRODUCER_EPOCH);
 * - a new epoch must start at sequence 0, except for a producer this partition has never seen
 *   (its state may have been lost to retention; Kafka accepts it since KIP-360);
 * - otherwise the first sequence must follow the last one (wrapping after 2^31 - 1), or it is a gap
 *   (OUT_OF_ORDER_SEQUENCE_NUMBER).
 */
export const PRODUCER_BATCHES_KEPT = 5;
const INT32_MAX = 2147483647;

export interface ProducerBatch {
  firstSeq: number;
  lastSeq: number;
  baseOffset: bigint;
  lastOffsetDelta: number;
}

interface ProducerEntry {
  epoch: number;
  batches: ProducerBatch[];
  lastTimestamp: number;
}

export type SequenceVerdict =
  | { kind: 'append' }
  | { kind: 'duplicate'; baseOffset: bigint }
  | { kind: 'fenced'; currentEpoch: number }
  | { kind: 'out-of-order'; expected: number };

/** The sequence of the last record of a batch, wrapping like Kafka's DefaultRecordBatch.incrementSequence. */
export function lastSequenceOf(baseSequence: number, lastOffsetDelta: number): number {
  return baseSequence > INT32_MAX - lastOffsetDelta
    ? lastOffsetDelta - (INT32_MAX - baseSequence) - 1
    : baseSequence + lastOffsetDelta;
}

function nextSequence(lastSeq: number): number {
  return lastSeq === INT32_MAX ? 0 : lastSeq + 1;
}

export class ProducerStateTable {
  private readonly producers = new Map<bigint, ProducerEntry>();

  get size(): number {
    return this.producers.size;
  }

  check(producerId: bigint, epoch: number, baseSequence: number, lastOffsetDelta: number): SequenceVerdict {
    const entry = this.producers.get(producerId);
    if (entry === undefined) return { kind: 'append' };
    if (epoch < entry.epoch) return { kind: 'fenced', currentEpoch: entry.epoch };
    if (epoch > entry.epoch) {
      return baseSequence === 0 ? { kind: 'append' } : { kind: 'out-of-order', expected: 0 };
    }
    const lastSeq = lastSequenceOf(baseSequence, lastOffsetDelta);
    for (const b of entry.batches) {
      if (b.firstSeq === baseSequence && b.lastSeq === lastSeq)
        return { kind: 'duplicate', baseOffset: b.baseOffset };
    }
    const newest = entry.batches[entry.batches.length - 1];
    if (newest === undefined) return { kind: 'append' };
    const expected = nextSequence(newest.lastSeq);
    return baseSequence === expected ? { kind: 'append' } : { kind: 'out-of-order', expected };
  }

  /** Records a batch that was written (on append, and when replaying the log after a restart). */
  record(
    producerId: bigint,
    epoch: number,
    baseSequence: number,
    baseOffset: bigint,
    lastOffsetDelta: number,
    timestamp: number,
  ): void {
    let entry = this.producers.get(producerId);
    if (entry === undefined || epoch !== entry.epoch) {
      if (entry !== undefined && epoch < entry.epoch) return; // replaying a fenced batch changes nothing
      entry = { epoch, batches: [], lastTimestamp: timestamp };
      this.producers.set(producerId, entry);
    }
    entry.batches.push({
      firstSeq: baseSequence,
      lastSeq: lastSequenceOf(baseSequence, lastOffsetDelta),
      baseOffset,
      lastOffsetDelta,
    });
    if (entry.batches.length > PRODUCER_BATCHES_KEPT) entry.batches.shift();
    entry.lastTimestamp = timestamp;
  }

  /** Forgets batches at or after `offset` (the log was truncated there); producers left empty are dropped. */
  truncateFrom(offset: bigint): void {
    for (const [id, entry] of this.producers) {
      entry.batches = entry.batches.filter((b) => b.baseOffset < offset);
      if (entry.batches.length === 0) this.producers.delete(id);
    }
  }

  toJSON(): SnapshotProducer[] {
    return [...this.producers].map(([id, e]) => ({
      id: id.toString(),
      epoch: e.epoch,
      lastTimestamp: e.lastTimestamp,
      batches: e.batches.map((b) => ({
        firstSeq: b.firstSeq,
        lastSeq: b.lastSeq,
        baseOffset: b.baseOffset.toString(),
        lastOffsetDelta: b.lastOffsetDelta,
      })),
    }));
  }

  static fromJSON(producers: SnapshotProducer[]): ProducerStateTable {
    const table = new ProducerStateTable();
    for (const p of producers) {
      table.producers.set(BigInt(p.id), {
        epoch: p.epoch,
        lastTimestamp: p.lastTimestamp,
        batches: p.batches.map((b) => ({
          firstSeq: b.firstSeq,
          lastSeq: b.lastSeq,
          baseOffset: BigInt(b.baseOffset),
          lastOffsetDelta: b.lastOffsetDelta,
        })),
      });
    }
    return table;
  }
}

export interface SnapshotProducer {
  id: string;
  epoch: number;
  lastTimestamp: number;
  batches: { firstSeq: number; lastSeq: number; baseOffset: string; lastOffsetDelta: number }[];
}
