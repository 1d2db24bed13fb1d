/**
 * Which old segments retention removes. Like Kafka, it only ever deletes whole segments from the
 * start of the log, and stops at the first segment it must keep:
 * - by time: a segment goes once its newest record is older than retention.ms;
 * - by size: the oldest segments go while the log without them is still at least retention.bytes.
 * The active segment counts too (the log then rolls a fresh one first), but an empty one never goes.
 * A value of -1 switches either rule off.
 */
export interface RetentionSegment {
  size: number;
  /** Newest record timestamp in the segment, or its file modification time when it has none. */
  newestTimestampMs: number;
}

export function segmentsToDelete(
  segments: readonly RetentionSegment[],
  config: { retentionMs: number; retentionBytes: number },
  nowMs: number,
): number {
  let byTime = 0;
  if (config.retentionMs >= 0) {
    while (byTime < segments.length && segments[byTime].newestTimestampMs < nowMs - config.retentionMs)
      byTime++;
  }
  let bySize = 0;
  if (config.retentionBytes >= 0) {
    let excess = segments.reduce((total, s) => total + s.size, 0) - config.retentionBytes;
    while (bySize < segments.length && excess - segments[bySize].size >= 0) {
      excess -= segments[bySize].size;
      bySize++;
    }
  }
  let count = Math.max(byTime, bySize);
  // Never delete an empty active segment: there is nothing to reclaim and the log needs one.
  if (count === segments.length && segments[segments.length - 1]?.size === 0) count--;
  return count;
}
