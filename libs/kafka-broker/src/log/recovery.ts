import * as fs from 'fs';
import type { Logger } from '../logger';
import { Batch } from './batch-format';
import {
  LOG_START_FILE,
  RECOVERY_POINT_FILE,
  producerSnapshotOffsets,
  producerSnapshotPath,
  readOffsetCheckpoint,
  readProducerSnapshot,
  saveOffsetCheckpoint,
} from './checkpoints';
import { type FsyncPolicy, unlinkIfExists } from './files';
import { ProducerStateTable } from './producer-state';
import { finishInterruptedCompaction } from './segment-compaction';
import { Segment } from './segment';
import type { ResolvedTopicConfig } from './topic-config';

/**
 * Opening a partition directory (ADR 0017): finishes an interrupted compaction swap, reads the
 * segments back, checks the tail (only the saved index after a clean shutdown, every batch from the
 * recovery point on after a crash) and cuts a torn or corrupt tail, then restores producer state from
 * the newest usable snapshot plus the batch headers after it.
 */

export interface RecoveryOptions {
  dir: string;
  topic: string;
  partition: number;
  config: ResolvedTopicConfig;
  fsync: FsyncPolicy;
  /** Whether the previous process closed the data directory cleanly (then the tail is trusted). */
  cleanShutdown: boolean;
  logger: Logger;
}

/** What a partition log starts from. */
export interface RecoveredPartition {
  /** Oldest first; the last one is the active segment. Never empty. */
  segments: Segment[];
  logStart: bigint;
  /** Next offset to assign: everything below it is valid and, after a restart, acknowledged. */
  logEnd: bigint;
  recoveryPoint: bigint;
  producers: ProducerStateTable;
}

export function recoverPartitionDir(opts: RecoveryOptions): RecoveredPartition {
  const { dir } = opts;
  fs.mkdirSync(dir, { recursive: true });
  finishInterruptedCompaction(dir, opts);
  const bases = fs
    .readdirSync(dir)
    .filter((f) => /^\d{20}\.log$/.test(f))
    .map((f) => BigInt(f.slice(0, 20)))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const savedLogStart = readOffsetCheckpoint(dir, LOG_START_FILE);
  let recoveryPoint = readOffsetCheckpoint(dir, RECOVERY_POINT_FILE) ?? 0n;
  const interval = opts.config.indexIntervalBytes;
  let segments: Segment[];
  if (bases.length === 0) {
    segments = [Segment.create(dir, savedLogStart ?? 0n, interval)];
  } else {
    segments = bases.map((base) => Segment.open(dir, base, interval));
    for (let i = 0; i < segments.length - 1; i++) segments[i].nextOffset = segments[i + 1].baseOffset;
    checkTail(segments, recoveryPoint, opts);
  }
  const active = segments[segments.length - 1];
  const logEnd = active.nextOffset;
  let logStart =
    savedLogStart !== undefined && savedLogStart > segments[0].baseOffset
      ? savedLogStart
      : segments[0].baseOffset;
  if (logStart > logEnd) logStart = logEnd;
  if (active.size > 0) active.firstAppendAtMs = Date.now();
  if (recoveryPoint > logEnd) {
    // Only after damage below a synced point: restart the checkpoint from what is really there.
    recoveryPoint = active.baseOffset;
    saveOffsetCheckpoint(dir, RECOVERY_POINT_FILE, recoveryPoint, opts.fsync !== 'never');
  }
  const producers = loadProducerState(segments, logEnd, opts);
  return { segments, logStart, logEnd, recoveryPoint, producers };
}

/**
 * Trusts the active segment's saved index after a clean shutdown when it agrees with the file;
 * otherwise checks every batch from the segment holding the recovery point on, cutting the log at the
 * first bad one. `segments` is shortened in place when later segments follow a corrupt one.
 */
function checkTail(segments: Segment[], recoveryPoint: bigint, opts: RecoveryOptions): void {
  const { cleanShutdown, logger, topic, partition } = opts;
  const active = segments[segments.length - 1];
  if (cleanShutdown && active.restoreTail()) {
    unlinkIfExists(active.indexPath); // it goes stale with the next append; saved again on close
    return;
  }
  // Unclean stop: check every batch from the segment holding the recovery point on.
  let from = segments.length - 1;
  if (!cleanShutdown) {
    while (from > 0 && segments[from].baseOffset > recoveryPoint) from--;
  }
  for (let i = from; i < segments.length; i++) {
    const segment = segments[i];
    const expectedNext = segment.nextOffset;
    const isLast = i === segments.length - 1;
    const outcome = segment.recover();
    if (outcome.truncatedBytes > 0) {
      logger.warn(
        {
          topic,
          partition,
          segment: segment.logPath,
          validBytes: outcome.validBytes,
          truncatedBytes: outcome.truncatedBytes,
          problem: outcome.problem,
        },
        'truncated a torn or corrupt tail found during recovery',
      );
    }
    if (!isLast && outcome.truncatedBytes > 0) {
      // Everything after a corrupt batch is unreachable: drop the later segments.
      for (const later of segments.splice(i + 1)) {
        unlinkIfExists(later.logPath);
        unlinkIfExists(later.indexPath);
        logger.warn({ topic, partition, segment: later.logPath }, 'deleted a segment after a corrupt one');
      }
      break;
    }
    if (!isLast) {
      segment.saveIndex(opts.fsync !== 'never');
      segment.nextOffset = expectedNext;
    }
  }
}

/** The newest snapshot at or below `logEnd`, then the batch headers after it replayed. */
function loadProducerState(segments: Segment[], logEnd: bigint, opts: RecoveryOptions): ProducerStateTable {
  const { dir, logger } = opts;
  let producers = new ProducerStateTable();
  let replayFrom = segments[0].baseOffset;
  for (const offset of producerSnapshotOffsets(dir)) {
    const file = producerSnapshotPath(dir, offset);
    if (offset > logEnd) {
      unlinkIfExists(file); // written before a tail that recovery has since cut off
      continue;
    }
    try {
      producers = ProducerStateTable.fromJSON(readProducerSnapshot(file));
      replayFrom = offset;
      break;
    } catch (err) {
      logger.warn({ err, file }, 'ignoring an unreadable producer state snapshot');
    }
  }
  const active = segments[segments.length - 1];
  for (const segment of segments) {
    if (segment.nextOffset <= replayFrom && segment !== active) continue;
    const from = segment.baseOffset >= replayFrom ? 0 : segment.locate(replayFrom, segment.size);
    segment.forEachBatchHeader(from, segment.size, (buf, at) => {
      const producerId = buf.readBigInt64BE(at + Batch.PRODUCER_ID);
      const baseOffset = buf.readBigInt64BE(at);
      if (producerId < 0n || baseOffset < replayFrom) return;
      producers.record(
        producerId,
        buf.readInt16BE(at + Batch.PRODUCER_EPOCH),
        buf.readInt32BE(at + Batch.BASE_SEQUENCE),
        baseOffset,
        buf.readInt32BE(at + Batch.LAST_OFFSET_DELTA),
        Number(buf.readBigInt64BE(at + Batch.MAX_TIMESTAMP)),
      );
    });
  }
  return producers;
}
