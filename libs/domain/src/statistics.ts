import { ExecutionStatus } from '@upshift/contracts/model';

/**
 * ExecutionStatistics as docs/api-contract.md defines it. Declared here rather than imported so the
 * domain depends on contracts' enums only; `statistics.spec.ts` proves it stays assignable both ways to the contracts type.
 */
export interface ExecutionStatistics {
  componentId: string;
  totalExecutions: number;
  successfulExecutions: number;
  /** FAILED and ROLLED_BACK executions. */
  failedExecutions: number;
  /**
   * COMPLETED / (COMPLETED + FAILED + ROLLED_BACK) as a percentage 0–100: the share of finished
   * executions that succeeded. Cancelled and still-active executions are not outcomes and do not count;
   * 0 when none has finished.
   */
  successRate: number;
  /** Mean of completedAt − startedAt over executions that have both; 0 when none has. */
  averageDurationSeconds: number;
}

export interface ExecutionOutcome {
  status: ExecutionStatus;
  startedAt: Date | string | null;
  completedAt: Date | string | null;
}

/**
 * What the statistics need from the executions of one status: how many there are, and the sum and
 * count of their durations. A store can compute these in one grouped query (one row per status), so
 * the statistics never read an unbounded list of executions.
 */
export interface OutcomeTally {
  status: ExecutionStatus;
  executions: number;
  /** Sum of completedAt − startedAt over the executions that have both, in seconds. */
  durationSeconds: number;
  /** How many executions have both timestamps, in order. */
  timedExecutions: number;
}

const FAILED_STATUSES: readonly ExecutionStatus[] = [ExecutionStatus.FAILED, ExecutionStatus.ROLLED_BACK];

/** Percentage of finished executions that completed; 0 when none has finished. */
function successRate(successful: number, failed: number): number {
  const finished = successful + failed;
  return finished === 0 ? 0 : (successful / finished) * 100;
}

function toMillis(value: Date | string): number {
  return value instanceof Date ? value.getTime() : Date.parse(value);
}

/** The executions grouped by status, as a grouped query would answer. */
export function tallyOutcomes(executions: readonly ExecutionOutcome[]): OutcomeTally[] {
  const tallies = new Map<ExecutionStatus, OutcomeTally>();
  for (const execution of executions) {
    const tally = tallies.get(execution.status) ?? {
      status: execution.status,
      executions: 0,
      durationSeconds: 0,
      timedExecutions: 0,
    };
    tally.executions += 1;
    if (execution.startedAt !== null && execution.completedAt !== null) {
      const seconds = (toMillis(execution.completedAt) - toMillis(execution.startedAt)) / 1000;
      // An unparsable timestamp or a clock step backwards says nothing about how long an upgrade takes.
      if (Number.isFinite(seconds) && seconds >= 0) {
        tally.durationSeconds += seconds;
        tally.timedExecutions += 1;
      }
    }
    tallies.set(execution.status, tally);
  }
  return [...tallies.values()];
}

/**
 * Every execution counts in `totalExecutions` ("Total upgrade executions"), including active and
 * cancelled ones, which are neither successful nor failed. `successRate` is taken over finished
 * executions only: an operator who cancels an upgrade before it did anything has not seen it fail,
 * and an execution still running has no outcome yet (docs/api-contract.md, "ExecutionStatistics").
 */
export function statisticsFromTallies(
  componentId: string,
  tallies: readonly OutcomeTally[],
): ExecutionStatistics {
  const sum = (pick: (tally: OutcomeTally) => number, of: readonly OutcomeTally[] = tallies) =>
    of.reduce((total, tally) => total + pick(tally), 0);
  const successfulExecutions = sum(
    (t) => t.executions,
    tallies.filter((t) => t.status === ExecutionStatus.COMPLETED),
  );
  const failedExecutions = sum(
    (t) => t.executions,
    tallies.filter((t) => FAILED_STATUSES.includes(t.status)),
  );
  const timed = sum((t) => t.timedExecutions);
  return {
    componentId,
    totalExecutions: sum((t) => t.executions),
    successfulExecutions,
    failedExecutions,
    successRate: successRate(successfulExecutions, failedExecutions),
    averageDurationSeconds: timed === 0 ? 0 : sum((t) => t.durationSeconds) / timed,
  };
}

/** The statistics of a list of executions (what `statisticsFromTallies` computes from their tallies). */
export function computeStatistics(
  componentId: string,
  executions: readonly ExecutionOutcome[],
): ExecutionStatistics {
  return statisticsFromTallies(componentId, tallyOutcomes(executions));
}
