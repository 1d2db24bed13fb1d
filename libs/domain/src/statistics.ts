import { ExecutionStatus } from '@upshift/contracts';

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

const FAILED_STATUSES: readonly ExecutionStatus[] = [ExecutionStatus.FAILED, ExecutionStatus.ROLLED_BACK];

/** Percentage of finished executions that completed; 0 when none has finished. */
function successRate(successful: number, failed: number): number {
  const finished = successful + failed;
  return finished === 0 ? 0 : (successful / finished) * 100;
}

function toMillis(value: Date | string): number {
  return value instanceof Date ? value.getTime() : Date.parse(value);
}

/**
 * Every execution counts in `totalExecutions` ("Total upgrade executions"), including active and
 * cancelled ones, which are neither successful nor failed. `successRate` is taken over finished
 * executions only: an operator who cancels an upgrade before it did anything has not seen it fail,
 * and an execution still running has no outcome yet (docs/api-contract.md, "ExecutionStatistics").
 */
export function computeStatistics(
  componentId: string,
  executions: readonly ExecutionOutcome[],
): ExecutionStatistics {
  const totalExecutions = executions.length;
  const successfulExecutions = executions.filter((e) => e.status === ExecutionStatus.COMPLETED).length;
  const failedExecutions = executions.filter((e) => FAILED_STATUSES.includes(e.status)).length;

  const durations: number[] = [];
  for (const execution of executions) {
    if (execution.startedAt === null || execution.completedAt === null) {
      continue;
    }
    const seconds = (toMillis(execution.completedAt) - toMillis(execution.startedAt)) / 1000;
    // An unparsable timestamp or a clock step backwards says nothing about how long an upgrade takes.
    if (Number.isFinite(seconds) && seconds >= 0) {
      durations.push(seconds);
    }
  }

  return {
    componentId,
    totalExecutions,
    successfulExecutions,
    failedExecutions,
    successRate: successRate(successfulExecutions, failedExecutions),
    averageDurationSeconds:
      durations.length === 0 ? 0 : durations.reduce((sum, seconds) => sum + seconds, 0) / durations.length,
  };
}
