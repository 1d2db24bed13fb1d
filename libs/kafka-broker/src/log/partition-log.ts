import * as fs from 'fs';
import { setImmediate as yieldToEventLoop } from 'timers/promises';
import type { Logger } from '../logger';
import { silentLogger } from '../logger';
import { ErrorCode } from '../protocol/error-codes';
import { Batch, batchSize, lastOffsetOf, TIMESTAMP_TYPE_LOG_APPEND, writeBatchCrc } from './batch-format';
import {
  LOG_START_FILE,
  RECOVERY_POINT_FILE,
  saveOffsetCheckpoint,
  writeProducerSnapshot,
} from './checkpoints';
import { type FsyncPolicy, fsyncDirSync } from './files';
import { ProducerStateTable } from './producer-state';
import { canDecode, decodeBatch, recordTimestamp } from './records';
import { recoverPartitionDir } from './recovery';
import { segmentsToDelete } from './retention';
import { MAX_RELATIVE_OFFSET, Segment } from './segment';
import { SegmentCompaction } from './segment-compaction';
import type { ResolvedTopicConfig } from './topic-config';

/** Kafka error codes the log answers with. */
export const LogError = {
  NONE: ErrorCode.NONE,
  OFFSET_OUT_OF_RANGE: ErrorCode.OFFSET_OUT_OF_RANGE,
  CORRUPT_MESSAGE: ErrorCode.CORRUPT_MESSAGE,
  UNKNOWN_TOPIC_OR_PARTITION: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  MESSAGE_TOO_LARGE: ErrorCode.MESSAGE_TOO_LARGE,
  OUT_OF_ORDER_SEQUENCE_NUMBER: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  INVALID_PRODUCER_EPOCH: ErrorCode.INVALID_PRODUCER_EPOCH,
  KAFKA_STORAGE_ERROR: ErrorCode.KAFKA_STORAGE_ERROR,
} as const;

/** DeleteRecords past the high watermark: Kafka's OFFSET_OUT_OF_RANGE. */
export class OffsetOutOfRangeError extends Error {
  readonly code = LogError.OFFSET_OUT_OF_RANGE;
  constructor(message: string) {
    super(message);
    this.name = 'OffsetOutOfRangeError';
  }
}

export interface AppendResult {
  errorCode: number;
  baseOffset: bigint;
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
}

export interface ReadResult {
  records: Buffer;
  highWatermark: bigint;
  logStartOffset: bigint;
  errorCode: number;
}

export interface PartitionLogOptions {
  dir: string;
  topic: string;
  partition: number;
  config: ResolvedTopicConfig;
  fsync: FsyncPolicy;
  /** Whether the previous process closed the data directory cleanly (then the tail is trusted). */
  cleanShutdown: boolean;
  logger?: Logger;
}

const EMPTY = Buffer.alloc(0);

interface PendingAck {
  endOffset: bigint;
  segment: Segment;
  endPosition: number;
  result: AppendResult;
  resolve: (result: AppendResult) => void;
}

interface ReadPosition {
  segment: Segment;
  position: number;
  generation: number;
}

/**
 * The log of one partition: a directory of segments (ADR 0015), appended to by Produce and read by
 * Fetch.
 *
 * Hot paths stay per batch, never per record: append reads a few header fields, checks the producer's
 * sequence, rewrites the base offset in place and writes the batch with one positional write; read
 * finds the batch through the sparse index (or where the previous fetch stopped) and returns whole
 * batches with one positional read. Everything else (recovery, retention, compaction) runs off these
 * paths and is serialised per partition. Opening and recovery are in recovery.ts, segment-level
 * compaction in segment-compaction.ts, the checkpoint and snapshot files in checkpoints.ts.
 */
export class PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  private config: ResolvedTopicConfig;
  private readonly fsync: FsyncPolicy;
  private readonly logger: Logger;
  /** Oldest first; the last one is the active segment. */
  private segments: Segment[] = [];
  /** Bumped whenever segments are removed or replaced, which invalidates remembered read positions. */
  private generation = 0;
  private logStart = 0n;
  /** Next offset to assign. */
  private logEnd = 0n;
  /** Next offset to be acknowledged: below it everything is written (and synced, with fsync=always). */
  private hw = 0n;
  private hwSegment!: Segment;
  private hwPosition = 0;
  private recoveryPoint = 0n;
  private producers = new ProducerStateTable();
  private readonly listeners = new Set<() => void>();
  private pendingAcks: PendingAck[] = [];
  private flushing = false;
  private dirty = false;
  private closed = false;
  private maintenanceChain: Promise<unknown> = Promise.resolve();
  private readonly readPositions = new Map<bigint, ReadPosition>();
  private readonly compaction: SegmentCompaction;

  private constructor(opts: PartitionLogOptions) {
    this.topic = opts.topic;
    this.partition = opts.partition;
    this.dir = opts.dir;
    this.config = opts.config;
    this.fsync = opts.fsync;
    this.logger = opts.logger ?? silentLogger;
    this.compaction = new SegmentCompaction({
      dir: this.dir,
      topic: this.topic,
      partition: this.partition,
      fsync: this.fsync,
      logger: this.logger,
      config: () => this.config,
      segments: () => this.segments,
      highWatermark: () => this.hw,
      isClosed: () => this.closed,
      replaceSegments: (group, replacement) => {
        this.segments.splice(this.segments.indexOf(group[0]), group.length, replacement);
        this.generation++;
      },
    });
  }

  /** Opens (or creates) the partition directory, recovering an unclean tail (ADR 0017). */
  static async open(opts: PartitionLogOptions): Promise<PartitionLog> {
    const log = new PartitionLog(opts);
    const recovered = recoverPartitionDir({ ...opts, logger: log.logger });
    log.segments = recovered.segments;
    log.logStart = recovered.logStart;
    log.logEnd = recovered.logEnd;
    log.recoveryPoint = recovered.recoveryPoint;
    log.producers = recovered.producers;
    const active = log.active();
    log.hw = log.logEnd;
    log.hwSegment = active;
    log.hwPosition = active.size;
    return log;
  }

  logStartOffset(): bigint {
    return this.logStart;
  }

  /** The next offset to be written; everything below it is acknowledged and readable. */
  highWatermark(): bigint {
    return this.hw;
  }

  /** Next offset to assign, which runs ahead of the high watermark while fsync=always syncs are pending. */
  logEndOffset(): bigint {
    return this.logEnd;
  }

  /** Total bytes in the partition's segment files. */
  sizeInBytes(): number {
    return this.segments.reduce((total, s) => total + s.size, 0);
  }

  segmentCount(): number {
    return this.segments.length;
  }

  topicConfig(): ResolvedTopicConfig {
    return this.config;
  }

  updateConfig(config: ResolvedTopicConfig): void {
    this.config = config;
    this.compaction.forgetProgress();
  }

  /**
   * Appends one record batch v2 exactly as received (its CRC already checked by the protocol layer).
   * Assigns offsets by rewriting the base offset in place (outside the CRC's coverage) and enforces
   * idempotent producer sequences; a retried duplicate is acknowledged with its original offset.
   */
  append(batch: Buffer, opts?: { now?: number }): Promise<AppendResult> {
    if (this.closed) return Promise.resolve(this.failure(LogError.UNKNOWN_TOPIC_OR_PARTITION));
    if (
      batch.length < Batch.HEADER_SIZE ||
      batchSize(batch) !== batch.length ||
      batch[Batch.MAGIC] !== 2 ||
      batch.readInt32BE(Batch.LAST_OFFSET_DELTA) < 0
    ) {
      return Promise.resolve(this.failure(LogError.CORRUPT_MESSAGE));
    }
    if (batch.length > this.config.maxMessageBytes)
      return Promise.resolve(this.failure(LogError.MESSAGE_TOO_LARGE));
    const now = opts?.now ?? Date.now();
    const lastOffsetDelta = batch.readInt32BE(Batch.LAST_OFFSET_DELTA);
    const producerId = batch.readBigInt64BE(Batch.PRODUCER_ID);
    const producerEpoch = batch.readInt16BE(Batch.PRODUCER_EPOCH);
    const baseSequence = batch.readInt32BE(Batch.BASE_SEQUENCE);
    if (producerId >= 0n) {
      const verdict = this.producers.check(producerId, producerEpoch, baseSequence, lastOffsetDelta);
      if (verdict.kind === 'duplicate') {
        const result: AppendResult = {
          errorCode: LogError.NONE,
          baseOffset: verdict.baseOffset,
          logAppendTimeMs: -1n,
          logStartOffset: this.logStart,
        };
        if (verdict.baseOffset < this.hw) return Promise.resolve(result);
        // The original is still waiting for its fsync: the retry is acknowledged with it, not before.
        return this.acknowledgeAfterSync(result, this.active());
      }
      if (verdict.kind === 'fenced') return Promise.resolve(this.failure(LogError.INVALID_PRODUCER_EPOCH));
      if (verdict.kind === 'out-of-order')
        return Promise.resolve(this.failure(LogError.OUT_OF_ORDER_SEQUENCE_NUMBER));
    }

    let active = this.active();
    try {
      if (this.shouldRoll(active, batch.length, lastOffsetDelta, now)) {
        this.roll();
        active = this.active();
      }
    } catch (err) {
      this.logger.error(
        { err, topic: this.topic, partition: this.partition },
        'could not roll a new segment',
      );
      return Promise.resolve(this.failure(LogError.KAFKA_STORAGE_ERROR));
    }

    const baseOffset = this.logEnd;
    batch.writeBigInt64BE(baseOffset, Batch.BASE_OFFSET);
    batch.writeInt32BE(0, Batch.LEADER_EPOCH);
    let logAppendTimeMs = -1n;
    if (this.config.logAppendTime) {
      // LogAppendTime changes attributes and maxTimestamp, which the CRC covers: one CRC per batch.
      logAppendTimeMs = BigInt(now);
      batch.writeInt16BE(batch.readInt16BE(Batch.ATTRIBUTES) | TIMESTAMP_TYPE_LOG_APPEND, Batch.ATTRIBUTES);
      batch.writeBigInt64BE(logAppendTimeMs, Batch.MAX_TIMESTAMP);
      writeBatchCrc(batch);
    }
    const lastOffset = baseOffset + BigInt(lastOffsetDelta);
    const positionBefore = active.size;
    try {
      active.append(batch, lastOffset, batch.readBigInt64BE(Batch.MAX_TIMESTAMP));
    } catch (err) {
      this.logger.error({ err, topic: this.topic, partition: this.partition }, 'segment write failed');
      try {
        fs.ftruncateSync(active.fd, positionBefore);
      } catch {
        // The torn tail is found and cut by recovery on the next start.
      }
      return Promise.resolve(this.failure(LogError.KAFKA_STORAGE_ERROR));
    }
    active.firstAppendAtMs ??= now;
    this.logEnd = lastOffset + 1n;
    if (producerId >= 0n) {
      this.producers.record(producerId, producerEpoch, baseSequence, baseOffset, lastOffsetDelta, now);
    }
    const result: AppendResult = {
      errorCode: LogError.NONE,
      baseOffset,
      logAppendTimeMs,
      logStartOffset: this.logStart,
    };
    if (this.fsync === 'always') return this.acknowledgeAfterSync(result, active);
    this.dirty = true;
    this.advanceHighWatermark(this.logEnd, active, active.size);
    return Promise.resolve(result);
  }

  /**
   * Whole batches from `fetchOffset` on, up to maxBytes, but always at least one batch when there is
   * data (Kafka's rule, so a batch bigger than maxBytes cannot stall a consumer). A fetch inside a
   * batch returns that batch; the client skips the records before its offset.
   */
  read(fetchOffset: bigint, maxBytes: number): ReadResult {
    const highWatermark = this.hw;
    const logStartOffset = this.logStart;
    if (this.closed) {
      return {
        records: EMPTY,
        highWatermark,
        logStartOffset,
        errorCode: LogError.UNKNOWN_TOPIC_OR_PARTITION,
      };
    }
    if (fetchOffset < logStartOffset || fetchOffset > highWatermark) {
      return { records: EMPTY, highWatermark, logStartOffset, errorCode: LogError.OFFSET_OUT_OF_RANGE };
    }
    if (fetchOffset === highWatermark)
      return { records: EMPTY, highWatermark, logStartOffset, errorCode: LogError.NONE };

    const remembered = this.readPositions.get(fetchOffset);
    let index: number;
    let position: number | undefined;
    if (remembered !== undefined && remembered.generation === this.generation) {
      index = this.segments.indexOf(remembered.segment, this.segmentIndexFor(remembered.segment.baseOffset));
      position = remembered.position;
    } else index = -1;
    if (index < 0) {
      index = this.segmentIndexFor(fetchOffset);
      position = undefined;
    }
    for (; index >= 0 && index < this.segments.length; index++, position = undefined) {
      const segment = this.segments[index];
      const limit = this.visibleLimit(segment);
      if (limit === 0 && segment.baseOffset >= highWatermark) break;
      const start = position ?? segment.locate(fetchOffset, limit);
      if (start >= limit) continue;
      let buf = segment.read(start, Math.min(limit - start, Math.max(maxBytes, Batch.HEADER_SIZE)));
      const first = batchSize(buf, 0);
      if (first > buf.length) buf = segment.read(start, first);
      let end = 0;
      let lastStart = 0;
      while (end + Batch.LOG_OVERHEAD <= buf.length) {
        const size = batchSize(buf, end);
        if (end + size > buf.length) break;
        lastStart = end;
        end += size;
      }
      const records = end === buf.length ? buf : buf.subarray(0, end);
      this.rememberReadPosition(lastOffsetOf(records, lastStart) + 1n, segment, start + end);
      return { records, highWatermark, logStartOffset, errorCode: LogError.NONE };
    }
    return { records: EMPTY, highWatermark, logStartOffset, errorCode: LogError.NONE };
  }

  /**
   * The first record whose timestamp is ≥ timestampMs (ListOffsets), or null when none is. Also
   * answers Kafka's special timestamps: -2 earliest, -1 latest, -3 the record with the largest timestamp.
   */
  offsetForTimestamp(timestampMs: bigint): { offset: bigint; timestamp: bigint } | null {
    if (timestampMs === -2n) return { offset: this.logStart, timestamp: -1n };
    if (timestampMs === -1n) return { offset: this.hw, timestamp: -1n };
    if (timestampMs === -3n) return this.offsetOfMaxTimestamp();
    for (const segment of this.segments) {
      const limit = this.visibleLimit(segment);
      if (limit === 0 || segment.maxTimestamp() < timestampMs) continue;
      let found: { offset: bigint; timestamp: bigint } | null = null;
      const from = segment.index.positionForTimestamp(timestampMs);
      this.forEachBatchUntil(segment, from, limit, (buf, at, size) => {
        if (buf.readBigInt64BE(at + Batch.MAX_TIMESTAMP) < timestampMs) return false;
        if (lastOffsetOf(buf, at) < this.logStart) return false;
        found = this.firstRecordAtOrAfter(buf.subarray(at, at + size), timestampMs);
        return found !== null;
      });
      if (found !== null) return found;
    }
    return null;
  }

  /**
   * DeleteRecords: moves the log start offset to `offset` (-1 means the high watermark) and drops the
   * segments wholly below it. Returns the new log start offset.
   */
  deleteRecordsBefore(offset: bigint): Promise<bigint> {
    const target = offset === -1n ? this.hw : offset;
    if (target < 0n || target > this.hw) {
      return Promise.reject(
        new OffsetOutOfRangeError(`cannot delete records before ${offset}: the log ends at ${this.hw}`),
      );
    }
    return this.serialised(async () => {
      if (target > this.logStart) {
        this.logStart = target;
        this.saveCheckpoint(LOG_START_FILE, this.logStart);
      }
      await this.dropSegmentsBelowLogStart();
      return this.logStart;
    });
  }

  /** Registers a wake-up for every acknowledged append (Fetch long polls); returns the unsubscribe function. */
  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Retention (delete policy) and compaction (compact policy), one pass. */
  runMaintenance(nowMs = Date.now()): Promise<void> {
    return this.serialised(async () => {
      if (this.closed) return;
      if (this.config.cleanupPolicy === 'delete' || this.config.deleteAlongsideCompact)
        await this.enforceRetention(nowMs);
      if (this.config.cleanupPolicy === 'compact') await this.compaction.compact(nowMs);
    });
  }

  /** With fsync=interval: syncs the active segment if anything was written since the last sync. */
  async flush(): Promise<void> {
    if (!this.dirty || this.closed) return;
    this.dirty = false;
    try {
      await this.active().sync();
    } catch (err) {
      this.dirty = true;
      this.logger.error(
        { err, topic: this.topic, partition: this.partition },
        'fsync of the active segment failed',
      );
    }
  }

  /** Finishes pending work and leaves the directory in the state a clean start trusts. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.maintenanceChain.catch(() => undefined);
    while (this.pendingAcks.length > 0 || this.flushing) await yieldToEventLoop();
    const durable = this.fsync !== 'never';
    const active = this.active();
    try {
      if (durable) active.syncSync();
      active.saveIndex(durable);
      this.writeProducerSnapshot(durable);
      this.recoveryPoint = this.logEnd;
      this.saveCheckpoint(RECOVERY_POINT_FILE, this.recoveryPoint);
    } finally {
      for (const segment of this.segments) await segment.close();
    }
  }

  /** Closes and removes the partition's files (topic deletion). */
  async destroy(): Promise<void> {
    this.closed = true;
    // Unsynced appends are answered now (the topic is gone), so no further sync starts.
    for (const ack of this.pendingAcks.splice(0)) {
      ack.resolve(this.failure(LogError.UNKNOWN_TOPIC_OR_PARTITION));
    }
    await this.maintenanceChain.catch(() => undefined);
    while (this.flushing) await yieldToEventLoop();
    for (const segment of this.segments) await segment.close();
    this.listeners.clear();
  }

  // ---------------------------------------------------------------------------------------------
  // Appending

  private active(): Segment {
    return this.segments[this.segments.length - 1];
  }

  private failure(errorCode: number): AppendResult {
    return { errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: this.logStart };
  }

  private shouldRoll(active: Segment, incoming: number, lastOffsetDelta: number, now: number): boolean {
    if (active.size === 0) return false;
    if (active.size + incoming > this.config.segmentBytes) return true;
    if (this.logEnd + BigInt(lastOffsetDelta) - active.baseOffset > MAX_RELATIVE_OFFSET) return true;
    return active.firstAppendAtMs !== null && now - active.firstAppendAtMs >= this.config.segmentMs;
  }

  /** Closes the active segment (index saved, data synced per policy) and starts a new one at the log end. */
  private roll(): void {
    const old = this.active();
    const durable = this.fsync !== 'never';
    old.saveIndex(durable);
    const fresh = Segment.create(this.dir, this.logEnd, this.config.indexIntervalBytes);
    old.nextOffset = fresh.baseOffset;
    this.segments.push(fresh);
    if (durable) fsyncDirSync(this.dir);
    this.writeProducerSnapshot(durable);
    const recoveryPoint = fresh.baseOffset;
    if (this.fsync === 'always') {
      old.syncSync();
      this.advanceRecoveryPoint(recoveryPoint);
    } else if (this.fsync === 'interval') {
      old.sync().then(
        () => this.advanceRecoveryPoint(recoveryPoint),
        (err: unknown) =>
          this.logger.error({ err, segment: old.logPath }, 'fsync of a rolled segment failed'),
      );
    } else {
      this.advanceRecoveryPoint(recoveryPoint);
    }
  }

  private advanceRecoveryPoint(offset: bigint): void {
    if (offset <= this.recoveryPoint || this.closed) return;
    this.recoveryPoint = offset;
    this.saveCheckpoint(RECOVERY_POINT_FILE, offset);
  }

  /**
   * Answers `result` once a sync covers everything written so far (up to the log end, which ends in
   * `active`): the next group commit, or the one after the sync already running.
   */
  private acknowledgeAfterSync(result: AppendResult, active: Segment): Promise<AppendResult> {
    return new Promise((resolve) => {
      this.pendingAcks.push({
        endOffset: this.logEnd,
        segment: active,
        endPosition: active.size,
        result,
        resolve,
      });
      this.flushPending();
    });
  }

  /** Group commit for fsync=always: one fdatasync acknowledges every append written before it started. */
  private flushPending(): void {
    if (this.flushing || this.pendingAcks.length === 0) return;
    this.flushing = true;
    const covered = this.pendingAcks.length;
    this.active()
      .sync()
      .then(
        () => {
          const done = this.pendingAcks.splice(0, covered);
          const last = done.at(-1);
          if (last === undefined) return; // answered by destroy() meanwhile
          this.advanceHighWatermark(last.endOffset, last.segment, last.endPosition);
          for (const ack of done) ack.resolve(ack.result);
        },
        (err: unknown) => {
          this.logger.error(
            { err, topic: this.topic, partition: this.partition },
            'fsync failed; appends not acknowledged',
          );
          for (const ack of this.pendingAcks.splice(0, covered))
            ack.resolve(this.failure(LogError.KAFKA_STORAGE_ERROR));
        },
      )
      .finally(() => {
        this.flushing = false;
        this.flushPending();
      });
  }

  private advanceHighWatermark(offset: bigint, segment: Segment, position: number): void {
    if (offset <= this.hw) return;
    this.hw = offset;
    this.hwSegment = segment;
    this.hwPosition = position;
    for (const listener of this.listeners) {
      try {
        listener();
      } catch (err) {
        this.logger.error({ err }, 'an append listener threw');
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Reading

  /** Index of the segment holding `offset` (the first one when offset is below it). */
  private segmentIndexFor(offset: bigint): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.segments[mid].baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Bytes of a segment a reader may see: all of it below the high watermark's segment, none after. */
  private visibleLimit(segment: Segment): number {
    if (segment.baseOffset >= this.hw) return 0;
    // Below the high watermark a segment is wholly visible, except the one the watermark falls in.
    return segment === this.hwSegment ? this.hwPosition : segment.size;
  }

  private rememberReadPosition(nextOffset: bigint, segment: Segment, position: number): void {
    if (this.readPositions.size >= 16) {
      const oldest = this.readPositions.keys().next();
      if (!oldest.done) this.readPositions.delete(oldest.value);
    }
    this.readPositions.set(nextOffset, { segment, position, generation: this.generation });
  }

  /** Visits whole batches from `from` until `visit` returns true or `limit` is reached. */
  private forEachBatchUntil(
    segment: Segment,
    from: number,
    limit: number,
    visit: (buf: Buffer, at: number, size: number) => boolean,
  ): void {
    let position = from;
    while (position < limit) {
      const header = segment.read(position, Batch.LOG_OVERHEAD);
      if (header.length < Batch.LOG_OVERHEAD) return;
      const size = batchSize(header);
      const batch = segment.read(position, size);
      if (batch.length < size || visit(batch, 0, size)) return;
      position += size;
    }
  }

  private firstRecordAtOrAfter(
    batch: Buffer,
    timestampMs: bigint,
  ): { offset: bigint; timestamp: bigint } | null {
    const attributes = batch.readInt16BE(Batch.ATTRIBUTES);
    if (attributes & TIMESTAMP_TYPE_LOG_APPEND || !canDecode(attributes)) {
      // Every record carries the batch's timestamp (or cannot be decoded): the batch's first offset answers.
      const offset = batch.readBigInt64BE(0);
      return {
        offset: offset < this.logStart ? this.logStart : offset,
        timestamp: batch.readBigInt64BE(Batch.MAX_TIMESTAMP),
      };
    }
    const decoded = decodeBatch(batch);
    for (const record of decoded.records) {
      const offset = decoded.baseOffset + BigInt(record.offsetDelta);
      const timestamp = BigInt(recordTimestamp(decoded, record));
      if (offset >= this.logStart && timestamp >= timestampMs) return { offset, timestamp };
    }
    return null;
  }

  private offsetOfMaxTimestamp(): { offset: bigint; timestamp: bigint } | null {
    let best: Segment | undefined;
    for (const segment of this.segments) {
      if (
        this.visibleLimit(segment) > 0 &&
        (best === undefined || segment.maxTimestamp() >= best.maxTimestamp())
      )
        best = segment;
    }
    if (best === undefined) return null;
    const target = best.maxTimestamp();
    let found: { offset: bigint; timestamp: bigint } | null = null;
    this.forEachBatchUntil(best, 0, this.visibleLimit(best), (buf, at, size) => {
      if (buf.readBigInt64BE(at + Batch.MAX_TIMESTAMP) !== target) return false;
      found = this.firstRecordAtOrAfter(buf.subarray(at, at + size), target);
      return found !== null;
    });
    return found;
  }

  // ---------------------------------------------------------------------------------------------
  // Retention and DeleteRecords (compaction: segment-compaction.ts)

  private serialised<T>(task: () => Promise<T>): Promise<T> {
    const run = this.maintenanceChain.then(task, task);
    this.maintenanceChain = run.catch(() => undefined);
    return run;
  }

  private async enforceRetention(nowMs: number): Promise<void> {
    // Only segments whose every batch is acknowledged (a prefix of the log) may go.
    const candidates: Segment[] = [];
    for (const segment of this.segments) {
      if (segment === this.active() ? this.logEnd !== this.hw : segment.nextOffset > this.hw) break;
      candidates.push(segment);
    }
    const count = segmentsToDelete(
      candidates.map((s) => ({ size: s.size, newestTimestampMs: this.newestTimestampMs(s) })),
      this.config,
      nowMs,
    );
    if (count === 0) return;
    if (count === this.segments.length) {
      // The active segment expired too: roll so the log keeps a (new, empty) active segment.
      this.roll();
    }
    const doomed = this.segments.slice(0, count);
    const newStart = this.segments[count].baseOffset;
    this.logger.info(
      {
        topic: this.topic,
        partition: this.partition,
        segments: doomed.length,
        newLogStartOffset: newStart.toString(),
      },
      'retention deleted old segments',
    );
    if (newStart > this.logStart) {
      this.logStart = newStart;
      this.saveCheckpoint(LOG_START_FILE, newStart);
    }
    await this.removeSegments(doomed);
  }

  private newestTimestampMs(segment: Segment): number {
    const max = segment.maxTimestamp();
    if (max > 0n) return Number(max);
    try {
      return fs.statSync(segment.logPath).mtimeMs;
    } catch {
      return Date.now();
    }
  }

  private async dropSegmentsBelowLogStart(): Promise<void> {
    let count = 0;
    while (count < this.segments.length - 1 && this.segments[count].nextOffset <= this.logStart) count++;
    if (count > 0) await this.removeSegments(this.segments.slice(0, count));
  }

  /** Takes segments out of the list first (readers stop seeing them at once), then deletes their files. */
  private async removeSegments(doomed: Segment[]): Promise<void> {
    this.segments = this.segments.filter((s) => !doomed.includes(s));
    this.generation++;
    for (const segment of doomed) await segment.delete();
    if (this.fsync !== 'never') fsyncDirSync(this.dir);
  }

  // ---------------------------------------------------------------------------------------------
  // Checkpoints (checkpoints.ts)

  private writeProducerSnapshot(durable: boolean): void {
    writeProducerSnapshot(this.dir, this.logEnd, this.producers, durable);
  }

  private saveCheckpoint(name: string, offset: bigint): void {
    saveOffsetCheckpoint(this.dir, name, offset, this.fsync !== 'never');
  }
}
