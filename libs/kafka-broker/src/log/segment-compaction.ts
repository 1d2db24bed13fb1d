import * as fs from 'fs';
import * as path from 'path';
import { setImmediate as yieldToEventLoop } from 'timers/promises';
import type { Logger } from '../logger';
import { compactBatch, indexBatchKeys, newCompactionPass } from './compactor';
import { type FsyncPolicy, fsyncDirSync, offsetFileName, unlinkIfExists, writeFullySync } from './files';
import { LOG_SUFFIX, MAX_RELATIVE_OFFSET, Segment } from './segment';
import type { ResolvedTopicConfig } from './topic-config';

/**
 * The segment-level half of log compaction (ADR 0019): choosing the closed segments to clean, writing
 * the cleaned files and swapping them in crash-safely. Which records survive is decided in compactor.ts.
 */

const CLEANED_SUFFIX = '.cleaned';
const SWAP_SUFFIX = '.swap';
/** How much compaction processes between yields to the event loop, so produce and fetch keep flowing. */
const COMPACTION_SLICE_BYTES = 4 * 1024 * 1024;

/** What compaction needs from the partition log it cleans. */
export interface CompactedLog {
  readonly dir: string;
  readonly topic: string;
  readonly partition: number;
  readonly fsync: FsyncPolicy;
  readonly logger: Logger;
  config(): ResolvedTopicConfig;
  /** The current segment list, oldest first; the last one is the active segment. */
  segments(): Segment[];
  highWatermark(): bigint;
  /** Checked after every yield: a closed log stops compacting. */
  isClosed(): boolean;
  /** Puts `replacement` where `group` was in the segment list (readers see the swap at once). */
  replaceSegments(group: Segment[], replacement: Segment): void;
}

/**
 * Compacts one partition's closed segments, remembering how far it got so a pass with nothing new to
 * clean (and no kept tombstone due for removal) is skipped.
 */
export class SegmentCompaction {
  private cleanedUpTo = -1n;
  private nextTombstoneDeadline = Number.POSITIVE_INFINITY;

  constructor(private readonly log: CompactedLog) {}

  /** After a config change every eligible segment is cleaned again under the new settings. */
  forgetProgress(): void {
    this.cleanedUpTo = -1n;
  }

  /**
   * Compacts the closed segments old enough for min.compaction.lag.ms: latest record per key,
   * expired tombstones dropped, consecutive segments merged while they fit in segment.bytes.
   */
  async compact(nowMs: number): Promise<void> {
    const log = this.log;
    const config = log.config();
    const eligible: Segment[] = [];
    for (const segment of log.segments().slice(0, -1)) {
      if (segment.nextOffset > log.highWatermark()) break;
      if (segment.maxTimestamp() > BigInt(nowMs - config.minCompactionLagMs)) break;
      eligible.push(segment);
    }
    if (eligible.length === 0) return;
    const end = eligible[eligible.length - 1].nextOffset;
    if (end <= this.cleanedUpTo && nowMs < this.nextTombstoneDeadline) return;

    const started = Date.now();
    const pass = newCompactionPass(nowMs, config.deleteRetentionMs);
    let processed = 0;
    for (const segment of eligible) {
      await segment.close(); // wait for any sync still running on a just-rolled segment
      segment.forEachBatch(0, segment.size, (buf, at, size) =>
        indexBatchKeys(buf.subarray(at, at + size), pass),
      );
      processed += segment.size;
      if (processed >= COMPACTION_SLICE_BYTES) {
        processed = 0;
        await yieldToEventLoop();
        if (log.isClosed()) return;
      }
    }
    const bytesBefore = eligible.reduce((total, s) => total + s.size, 0);
    let bytesAfter = 0;
    let i = 0;
    while (i < eligible.length) {
      const group: Segment[] = [];
      const cleanedFile = path.join(log.dir, offsetFileName(eligible[i].baseOffset, CLEANED_SUFFIX));
      const fd = fs.openSync(cleanedFile, 'w');
      let written = 0;
      try {
        while (i < eligible.length) {
          const segment = eligible[i];
          const groupBase = group.length > 0 ? group[0].baseOffset : segment.baseOffset;
          const fits = written + segment.size <= log.config().segmentBytes;
          const offsetsFit = segment.nextOffset - groupBase <= MAX_RELATIVE_OFFSET;
          if (group.length > 0 && (!fits || !offsetsFit)) break;
          segment.forEachBatch(0, segment.size, (buf, at, size) => {
            const kept = compactBatch(buf.subarray(at, at + size), pass);
            if (kept === null) return;
            writeFullySync(fd, kept, written);
            written += kept.length;
          });
          group.push(segment);
          i++;
          await yieldToEventLoop();
          if (log.isClosed()) return;
        }
        if (log.fsync !== 'never') fs.fdatasyncSync(fd);
      } finally {
        fs.closeSync(fd);
        if (log.isClosed()) unlinkIfExists(cleanedFile);
      }
      this.swapIn(group, cleanedFile);
      bytesAfter += written;
    }
    this.cleanedUpTo = end;
    this.nextTombstoneDeadline = pass.nextTombstoneDeadline;
    log.logger.info(
      {
        topic: log.topic,
        partition: log.partition,
        segments: eligible.length,
        bytesBefore,
        bytesAfter,
        recordsRead: pass.recordsRead,
        recordsRemoved: pass.recordsRemoved,
        tombstonesRemoved: pass.tombstonesRemoved,
        ms: Date.now() - started,
      },
      'compacted closed segments',
    );
  }

  /**
   * Replaces `group` with the cleaned file, synchronously so no read sees a half-done swap. The
   * rename to `.swap` marks the cleaned file complete: a crash after it is finished on the next open.
   */
  private swapIn(group: Segment[], cleanedFile: string): void {
    const log = this.log;
    const first = group[0].baseOffset;
    const end = group[group.length - 1].nextOffset;
    const swapFile = path.join(log.dir, `${offsetFileName(first, '')}.${offsetFileName(end, SWAP_SUFFIX)}`);
    const durable = log.fsync !== 'never';
    fs.renameSync(cleanedFile, swapFile);
    if (durable) fsyncDirSync(log.dir);
    for (const segment of group) {
      segment.closeSync();
      unlinkIfExists(segment.indexPath);
      unlinkIfExists(segment.logPath);
    }
    const replacement = path.join(log.dir, offsetFileName(first, LOG_SUFFIX));
    fs.renameSync(swapFile, replacement);
    const fresh = Segment.open(log.dir, first, log.config().indexIntervalBytes);
    fresh.nextOffset = end;
    fresh.saveIndex(durable);
    log.replaceSegments(group, fresh);
    if (durable) fsyncDirSync(log.dir);
  }
}

/**
 * A crash during compaction leaves either `<base>.cleaned` (incomplete: discard it) or
 * `<base>.<end>.swap` (complete: it replaces the segments in [base, end); finish the swap).
 * Runs at open, before the segments are read.
 */
export function finishInterruptedCompaction(
  dir: string,
  context: { topic: string; partition: number; logger: Logger },
): void {
  for (const file of fs.readdirSync(dir)) {
    if (file.endsWith(CLEANED_SUFFIX) || file.endsWith('.tmp')) unlinkIfExists(path.join(dir, file));
  }
  for (const file of fs.readdirSync(dir)) {
    const swap = /^(\d{20})\.(\d{20})\.swap$/.exec(file);
    if (swap === null) continue;
    const [first, end] = [BigInt(swap[1]), BigInt(swap[2])];
    for (const other of fs.readdirSync(dir)) {
      const match = /^(\d{20})\.(log|index)$/.exec(other);
      if (match !== null && BigInt(match[1]) >= first && BigInt(match[1]) < end)
        unlinkIfExists(path.join(dir, other));
    }
    fs.renameSync(path.join(dir, file), path.join(dir, offsetFileName(first, LOG_SUFFIX)));
    context.logger.info(
      { topic: context.topic, partition: context.partition, file },
      'finished a compaction swap interrupted by a crash',
    );
  }
}
