import * as fs from 'fs';
import * as path from 'path';
import { Batch, batchSize, checkStoredBatch, type StoredBatchProblem } from './batch-format';
import {
  fdatasync,
  offsetFileName,
  readFileIfExists,
  readFullySync,
  unlinkIfExists,
  writeFileAtomicSync,
  writeFullySync,
} from './files';
import { NO_TIMESTAMP, OffsetIndex } from './offset-index';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
/** Kafka's index.interval.bytes default: one index entry per 4 KiB of log. */
export const DEFAULT_INDEX_INTERVAL_BYTES = 4096;
/** The largest offset a segment may hold relative to its base offset (Kafka keeps them in an int32). */
export const MAX_RELATIVE_OFFSET = 2147483647n;

/**
 * A sliding read window over a segment file, so walks over batch headers cost one read per window
 * rather than one per batch.
 */
export class WindowReader {
  private buf: Buffer;
  private start = 0;
  private filled = 0;

  constructor(
    private readonly fd: number,
    private readonly end: number,
    windowSize: number,
  ) {
    this.buf = Buffer.allocUnsafe(windowSize);
  }

  get buffer(): Buffer {
    return this.buf;
  }

  /** Makes bytes [position, position + length) readable in `buffer`; their index there, or -1 past the end. */
  at(position: number, length: number): number {
    if (position >= this.start && position + length <= this.start + this.filled) return position - this.start;
    if (position + length > this.end) return -1;
    if (length > this.buf.length) this.buf = Buffer.allocUnsafe(length);
    const want = Math.min(this.buf.length, this.end - position);
    this.filled = readFullySync(this.fd, this.buf, 0, want, position);
    this.start = position;
    return this.filled >= length ? 0 : -1;
  }
}

export interface SegmentRecovery {
  validBytes: number;
  truncatedBytes: number;
  problem: StoredBatchProblem | null;
}

/**
 * One segment of a partition log: `<baseOffset>.log` holding record batches back to back exactly as
 * produced (with their assigned offsets), and its sparse `<baseOffset>.index` (see OffsetIndex).
 * Writes use positional I/O on a file descriptor held open; the index lives in memory and is saved
 * when the segment is rolled or the log closes cleanly (an unclean stop rebuilds it during recovery).
 */
export class Segment {
  readonly logPath: string;
  readonly indexPath: string;
  /** Offset after the last batch (the base offset when empty); for closed segments, the next segment's base. */
  nextOffset: bigint;
  private fdOrNull: number | null;
  private sizeBytes: number;
  private indexOrNull: OffsetIndex | null = null;
  private maxTimestampOrNull: bigint | null = null;
  private lastIndexedPosition = Number.NEGATIVE_INFINITY;
  private syncsInFlight = 0;
  private idleWaiters: (() => void)[] = [];
  /** Wall-clock time of the first append seen by this process, for segment.ms rolling. */
  firstAppendAtMs: number | null = null;

  private constructor(
    readonly dir: string,
    readonly baseOffset: bigint,
    fd: number | null,
    size: number,
    private readonly indexIntervalBytes: number,
  ) {
    this.logPath = path.join(dir, offsetFileName(baseOffset, LOG_SUFFIX));
    this.indexPath = path.join(dir, offsetFileName(baseOffset, INDEX_SUFFIX));
    this.fdOrNull = fd;
    this.sizeBytes = size;
    this.nextOffset = baseOffset;
  }

  /** A new empty segment (an existing empty file of the same name is reused). */
  static create(dir: string, baseOffset: bigint, indexIntervalBytes = DEFAULT_INDEX_INTERVAL_BYTES): Segment {
    const file = path.join(dir, offsetFileName(baseOffset, LOG_SUFFIX));
    const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT);
    const size = fs.fstatSync(fd).size;
    if (size !== 0) {
      fs.closeSync(fd);
      throw new Error(`segment ${file} already exists with ${size} bytes; refusing to overwrite it`);
    }
    const segment = new Segment(dir, baseOffset, fd, 0, indexIntervalBytes);
    segment.indexOrNull = new OffsetIndex();
    segment.maxTimestampOrNull = NO_TIMESTAMP;
    unlinkIfExists(segment.indexPath);
    return segment;
  }

  /** An existing segment file; its descriptor and index are opened on first use. */
  static open(dir: string, baseOffset: bigint, indexIntervalBytes = DEFAULT_INDEX_INTERVAL_BYTES): Segment {
    const file = path.join(dir, offsetFileName(baseOffset, LOG_SUFFIX));
    return new Segment(dir, baseOffset, null, fs.statSync(file).size, indexIntervalBytes);
  }

  get size(): number {
    return this.sizeBytes;
  }

  get fd(): number {
    if (this.fdOrNull === null) this.fdOrNull = fs.openSync(this.logPath, 'r+');
    return this.fdOrNull;
  }

  get index(): OffsetIndex {
    if (this.indexOrNull === null) this.indexOrNull = this.loadOrRebuildIndex();
    return this.indexOrNull;
  }

  /** Appends one batch (offsets already assigned) at the end of the file. */
  append(batch: Buffer, lastOffset: bigint, maxTimestamp: bigint): void {
    const position = this.sizeBytes;
    writeFullySync(this.fd, batch, position);
    if (position - this.lastIndexedPosition >= this.indexIntervalBytes) {
      this.index.append(Number(batch.readBigInt64BE(0) - this.baseOffset), position, this.maxTimestamp());
      this.lastIndexedPosition = position;
    }
    this.sizeBytes = position + batch.length;
    this.nextOffset = lastOffset + 1n;
    if (maxTimestamp > this.maxTimestamp()) this.maxTimestampOrNull = maxTimestamp;
  }

  /** Reads `length` bytes at `position` into a new buffer (shorter only at end of file). */
  read(position: number, length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    const n = readFullySync(this.fd, out, 0, length, position);
    return n === length ? out : out.subarray(0, n);
  }

  /**
   * Position of the first batch below `limit` whose last offset is ≥ offset (the batch holding it,
   * or the next one after a compaction gap), or `limit` when there is none.
   */
  locate(offset: bigint, limit: number): number {
    if (limit === 0) return 0;
    const relative = offset - this.baseOffset;
    let position =
      relative <= 0n ? 0 : this.index.positionFor(relative > 0xffffffffn ? 0xffffffff : Number(relative));
    const reader = new WindowReader(this.fd, limit, 16 * 1024);
    while (position < limit) {
      const at = reader.at(position, Batch.HEADER_SIZE);
      if (at < 0) return limit;
      const buf = reader.buffer;
      const last = buf.readBigInt64BE(at) + BigInt(buf.readInt32BE(at + Batch.LAST_OFFSET_DELTA));
      if (last >= offset) return position;
      position += batchSize(buf, at);
    }
    return limit;
  }

  /** Visits the header of every batch in [from, to): `buf` holds at least HEADER_SIZE bytes at `at`. */
  forEachBatchHeader(
    from: number,
    to: number,
    visit: (buf: Buffer, at: number, position: number) => void,
  ): void {
    const reader = new WindowReader(this.fd, to, 256 * 1024);
    let position = from;
    while (position < to) {
      const at = reader.at(position, Batch.HEADER_SIZE);
      if (at < 0) break;
      visit(reader.buffer, at, position);
      const size = batchSize(reader.buffer, at);
      if (size < Batch.HEADER_SIZE) break;
      position += size;
    }
  }

  /** Visits every whole batch in [from, to): `buf` holds the full batch (`size` bytes) at `at`. */
  forEachBatch(
    from: number,
    to: number,
    visit: (buf: Buffer, at: number, size: number, position: number) => void,
  ): void {
    const reader = new WindowReader(this.fd, to, 1024 * 1024);
    let position = from;
    while (position < to) {
      let at = reader.at(position, Batch.LOG_OVERHEAD);
      if (at < 0) break;
      const size = batchSize(reader.buffer, at);
      if (size < Batch.HEADER_SIZE) break;
      at = reader.at(position, size);
      if (at < 0) break;
      visit(reader.buffer, at, size, position);
      position += size;
    }
  }

  /**
   * Checks every batch (length, magic, CRC-32C, increasing offsets), truncates the file at the first
   * bad one (a torn write), and rebuilds the index, next offset and max timestamp from what is valid.
   */
  recover(): SegmentRecovery {
    const fileSize = fs.fstatSync(this.fd).size;
    const index = new OffsetIndex();
    const reader = new WindowReader(this.fd, fileSize, 1024 * 1024);
    let position = 0;
    let next = this.baseOffset;
    let maxTimestamp = NO_TIMESTAMP;
    let lastIndexed = Number.NEGATIVE_INFINITY;
    let problem: StoredBatchProblem | null = null;
    while (position < fileSize) {
      let at = reader.at(position, Math.min(Batch.HEADER_SIZE, fileSize - position));
      if (at < 0 || fileSize - position < Batch.HEADER_SIZE) {
        problem = 'short';
        break;
      }
      const size = batchSize(reader.buffer, at);
      if (size < Batch.HEADER_SIZE) {
        problem = 'length';
        break;
      }
      if (position + size > fileSize) {
        problem = 'short';
        break;
      }
      at = reader.at(position, size);
      const check = checkStoredBatch(reader.buffer, at, size, next);
      if (!check.ok) {
        problem = check.problem;
        break;
      }
      const buf = reader.buffer;
      if (position - lastIndexed >= this.indexIntervalBytes) {
        index.append(Number(buf.readBigInt64BE(at) - this.baseOffset), position, maxTimestamp);
        lastIndexed = position;
      }
      const batchMax = buf.readBigInt64BE(at + Batch.MAX_TIMESTAMP);
      if (batchMax > maxTimestamp) maxTimestamp = batchMax;
      next = buf.readBigInt64BE(at) + BigInt(buf.readInt32BE(at + Batch.LAST_OFFSET_DELTA)) + 1n;
      position += size;
    }
    if (position < fileSize) fs.ftruncateSync(this.fd, position);
    this.sizeBytes = position;
    this.indexOrNull = index;
    this.lastIndexedPosition = lastIndexed;
    this.maxTimestampOrNull = maxTimestamp;
    this.nextOffset = next;
    unlinkIfExists(this.indexPath);
    return { validBytes: position, truncatedBytes: fileSize - position, problem };
  }

  /**
   * After a clean shutdown: trusts the saved index, walks the headers after its last entry and
   * checks they end exactly at the end of the file. False when anything disagrees (then recover()).
   */
  restoreTail(): boolean {
    const saved = readFileIfExists(this.indexPath);
    if (saved === undefined || !OffsetIndex.isConsistent(saved, this.sizeBytes)) return false;
    const index = new OffsetIndex(saved);
    const last = index.last();
    let position = last?.position ?? 0;
    let next = this.baseOffset;
    let maxTimestamp = last?.maxTimestampBefore ?? NO_TIMESTAMP;
    let consistent = true;
    this.forEachBatchHeader(position, this.sizeBytes, (buf, at, batchPosition) => {
      const size = batchSize(buf, at);
      if (buf[at + Batch.MAGIC] !== 2 || size < Batch.HEADER_SIZE || batchPosition + size > this.sizeBytes) {
        consistent = false;
      }
      const batchMax = buf.readBigInt64BE(at + Batch.MAX_TIMESTAMP);
      if (batchMax > maxTimestamp) maxTimestamp = batchMax;
      next = buf.readBigInt64BE(at) + BigInt(buf.readInt32BE(at + Batch.LAST_OFFSET_DELTA)) + 1n;
      position = batchPosition + size;
    });
    if (!consistent || position !== this.sizeBytes) return false;
    this.indexOrNull = index;
    this.lastIndexedPosition = last?.position ?? Number.NEGATIVE_INFINITY;
    this.maxTimestampOrNull = maxTimestamp;
    this.nextOffset = next;
    return true;
  }

  /** Largest batch timestamp in the segment (NO_TIMESTAMP when empty), computed once for closed segments. */
  maxTimestamp(): bigint {
    if (this.maxTimestampOrNull === null) {
      const last = this.index.last();
      let max = last?.maxTimestampBefore ?? NO_TIMESTAMP;
      this.forEachBatchHeader(last?.position ?? 0, this.sizeBytes, (buf, at) => {
        const batchMax = buf.readBigInt64BE(at + Batch.MAX_TIMESTAMP);
        if (batchMax > max) max = batchMax;
      });
      this.maxTimestampOrNull = max;
    }
    return this.maxTimestampOrNull;
  }

  /** Offset after the last batch actually in the file (base offset when empty), by walking from the last index entry. */
  lastBatchEnd(): bigint {
    let next = this.baseOffset;
    this.forEachBatchHeader(this.index.last()?.position ?? 0, this.sizeBytes, (buf, at) => {
      next = buf.readBigInt64BE(at) + BigInt(buf.readInt32BE(at + Batch.LAST_OFFSET_DELTA)) + 1n;
    });
    return next;
  }

  saveIndex(durable: boolean): void {
    writeFileAtomicSync(this.indexPath, this.index.toBuffer(), durable);
  }

  /** fdatasync without blocking the event loop; close() waits for it. */
  async sync(): Promise<void> {
    this.syncsInFlight++;
    try {
      await fdatasync(this.fd);
    } finally {
      this.syncsInFlight--;
      if (this.syncsInFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  syncSync(): void {
    fs.fdatasyncSync(this.fd);
  }

  async close(): Promise<void> {
    while (this.syncsInFlight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    if (this.fdOrNull !== null) {
      fs.closeSync(this.fdOrNull);
      this.fdOrNull = null;
    }
  }

  /** Closes the descriptor now; only for segments with no sync in flight (closed, already waited on). */
  closeSync(): void {
    if (this.syncsInFlight > 0) throw new Error(`segment ${this.logPath} still has an fsync in flight`);
    if (this.fdOrNull !== null) {
      fs.closeSync(this.fdOrNull);
      this.fdOrNull = null;
    }
  }

  async delete(): Promise<void> {
    await this.close();
    unlinkIfExists(this.logPath);
    unlinkIfExists(this.indexPath);
  }

  private loadOrRebuildIndex(): OffsetIndex {
    const saved = readFileIfExists(this.indexPath);
    if (saved !== undefined && OffsetIndex.isConsistent(saved, this.sizeBytes)) {
      const index = new OffsetIndex(saved);
      this.lastIndexedPosition = index.last()?.position ?? Number.NEGATIVE_INFINITY;
      return index;
    }
    // Missing or stale: rebuild from the batch headers (a closed segment was checked when written).
    const index = new OffsetIndex();
    let maxTimestamp = NO_TIMESTAMP;
    let lastIndexed = Number.NEGATIVE_INFINITY;
    this.forEachBatchHeader(0, this.sizeBytes, (buf, at, position) => {
      if (position - lastIndexed >= this.indexIntervalBytes) {
        index.append(Number(buf.readBigInt64BE(at) - this.baseOffset), position, maxTimestamp);
        lastIndexed = position;
      }
      const batchMax = buf.readBigInt64BE(at + Batch.MAX_TIMESTAMP);
      if (batchMax > maxTimestamp) maxTimestamp = batchMax;
    });
    this.lastIndexedPosition = lastIndexed;
    return index;
  }
}
