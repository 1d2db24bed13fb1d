import { ExecutionStatus } from '@upshift/contracts';
import { TERMINAL_STATUSES } from '@upshift/domain';

/** Statuses the executions gauge reports: every non-terminal one, each always present (0 when none). */
export const ACTIVE_STATUSES: readonly ExecutionStatus[] = Object.values(ExecutionStatus).filter(
  (s) => !TERMINAL_STATUSES.includes(s),
);

/** A step's duration as the worker timed it; a clock that went backwards counts as 0, never negative. */
export function stepSeconds(startedAt: string, finishedAt: string): number | null {
  const started = Date.parse(startedAt);
  const finished = Date.parse(finishedAt);
  if (Number.isNaN(started) || Number.isNaN(finished)) return null;
  return Math.max(0, finished - started) / 1000;
}

export interface ActiveStatusRow {
  status: string;
  n: number | string;
  oldest_update_age_seconds: number | string | null;
}

export interface ActiveStatusSeries {
  status: ExecutionStatus;
  executions: number;
  /** Seconds since the least recently changed execution in this status last changed (0 when none). */
  oldestUpdateAgeSeconds: number;
}

/** The query's rows as one series per active status, the statuses it did not return at 0. */
export function activeStatusSeries(rows: readonly ActiveStatusRow[]): ActiveStatusSeries[] {
  const byStatus = new Map(rows.map((r) => [r.status, r]));
  return ACTIVE_STATUSES.map((status) => {
    const row = byStatus.get(status);
    return {
      status,
      executions: Number(row?.n ?? 0),
      oldestUpdateAgeSeconds: Number(row?.oldest_update_age_seconds ?? 0),
    };
  });
}

/**
 * Messages of `topic` the group has not yet committed, summed over partitions: the high watermark less
 * the committed offset; a partition the group never committed counts from its low watermark (the
 * consumer starts from the beginning).
 */
export function consumerLag(
  committed: readonly { partition: number; offset: string }[],
  watermarks: readonly { partition: number; high: string; low: string }[],
): number {
  const committedBy = new Map(committed.map((c) => [c.partition, BigInt(c.offset)]));
  let lag = 0n;
  for (const { partition, high, low } of watermarks) {
    const at = committedBy.get(partition);
    const from = at === undefined || at < 0n ? BigInt(low) : at;
    const behind = BigInt(high) - from;
    if (behind > 0n) lag += behind;
  }
  return Number(lag);
}
