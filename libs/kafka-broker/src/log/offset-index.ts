/**
 * The sparse index of one segment, kept in memory and saved beside the segment as `<base>.index`.
 *
 * Each 16-byte entry (little-endian) names a batch: its base offset relative to the segment
 * (uint32), its byte position in the segment file (uint32), and the largest timestamp of all batches
 * before it in the segment (int64, -1 when none). An entry is added when at least
 * `index.interval.bytes` have been written since the previous one, so finding an offset costs one
 * binary search plus a short forward walk over batch headers. The third field doubles as a time
 * index: every batch before an entry is older than that entry's timestamp, so a timestamp search can
 * start at the last entry whose earlier batches are all older than the target.
 */
export const INDEX_ENTRY_SIZE = 16;
export const NO_TIMESTAMP = -1n;

export interface IndexEntry {
  relativeOffset: number;
  position: number;
  maxTimestampBefore: bigint;
}

export class OffsetIndex {
  private buf: Buffer;
  private count: number;

  constructor(initial?: Buffer) {
    const entries = initial ? Math.floor(initial.length / INDEX_ENTRY_SIZE) : 0;
    this.buf = Buffer.alloc(Math.max(64, entries * 2) * INDEX_ENTRY_SIZE);
    if (initial) initial.copy(this.buf, 0, 0, entries * INDEX_ENTRY_SIZE);
    this.count = entries;
  }

  get length(): number {
    return this.count;
  }

  append(relativeOffset: number, position: number, maxTimestampBefore: bigint): void {
    if ((this.count + 1) * INDEX_ENTRY_SIZE > this.buf.length) {
      const bigger = Buffer.alloc(this.buf.length * 2);
      this.buf.copy(bigger, 0, 0, this.count * INDEX_ENTRY_SIZE);
      this.buf = bigger;
    }
    const at = this.count * INDEX_ENTRY_SIZE;
    this.buf.writeUInt32LE(relativeOffset, at);
    this.buf.writeUInt32LE(position, at + 4);
    this.buf.writeBigInt64LE(maxTimestampBefore, at + 8);
    this.count++;
  }

  entry(i: number): IndexEntry {
    const at = i * INDEX_ENTRY_SIZE;
    return {
      relativeOffset: this.buf.readUInt32LE(at),
      position: this.buf.readUInt32LE(at + 4),
      maxTimestampBefore: this.buf.readBigInt64LE(at + 8),
    };
  }

  last(): IndexEntry | undefined {
    return this.count === 0 ? undefined : this.entry(this.count - 1);
  }

  /** Position of the last indexed batch whose base offset is ≤ relativeOffset (0 when none). */
  positionFor(relativeOffset: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.buf.readUInt32LE(mid * INDEX_ENTRY_SIZE) <= relativeOffset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? 0 : this.buf.readUInt32LE(found * INDEX_ENTRY_SIZE + 4);
  }

  /** Position of the last indexed batch before which every batch is older than `timestamp`. */
  positionForTimestamp(timestamp: bigint): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.buf.readBigInt64LE(mid * INDEX_ENTRY_SIZE + 8) < timestamp) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? 0 : this.buf.readUInt32LE(found * INDEX_ENTRY_SIZE + 4);
  }

  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.count * INDEX_ENTRY_SIZE));
  }

  /**
   * Whether saved bytes can be trusted for a segment of `segmentSize` bytes: whole entries, the
   * first at position 0, offsets and positions strictly increasing, and every position inside the file.
   */
  static isConsistent(saved: Buffer, segmentSize: number): boolean {
    if (saved.length % INDEX_ENTRY_SIZE !== 0) return false;
    const entries = saved.length / INDEX_ENTRY_SIZE;
    if (entries === 0) return segmentSize === 0;
    if (saved.readUInt32LE(4) !== 0) return false;
    for (let i = 1; i < entries; i++) {
      const at = i * INDEX_ENTRY_SIZE;
      if (saved.readUInt32LE(at) <= saved.readUInt32LE(at - INDEX_ENTRY_SIZE)) return false;
      if (saved.readUInt32LE(at + 4) <= saved.readUInt32LE(at + 4 - INDEX_ENTRY_SIZE)) return false;
    }
    return saved.readUInt32LE((entries - 1) * INDEX_ENTRY_SIZE + 4) < segmentSize;
  }
}
