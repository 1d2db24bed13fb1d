import { ExecutionStatus } from '@upshift/contracts';

/**
 * Seed 003 "ExecutionStatistics Structure". Declared here rather than imported so the domain depends on
 * contracts' enums only; `statistics.spec.ts` proves it stays assignable both ways to the contracts type.
 */
export interface ExecutionStatistics {
  componentId: string;
  totalExecutions: number;
  successfulExecutions: number;
  /** FAILED and ROLLED_BACK executions. */
  failedExecutions: number;
  /** successfulExecutions / totalExecutions as a percentage 0–100; 0 when there is none. */
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

function toMillis(value: Date | string): number {
  return value instanceof Date ? value.getTime() : Date.parse(value);
}

/**
 * Every execution counts in `totalExecutions` (seed: "Total upgrade executions"), including active and
 * cancelled ones, which are neither successful nor failed.
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
    successRate: totalExecutions === 0 ? 0 : (successfulExecutions / totalExecutions) * 100,
    averageDurationSeconds:
      durations.length === 0 ? 0 : durations.reduce((sum, seconds) => sum + seconds, 0) / durations.length,
  };
}
