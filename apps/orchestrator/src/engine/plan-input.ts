import type { DecisionExecution, PlanInput, PlannerInstance } from '@upshift/domain';
import type { ExecutionEntity, ExecutionInstanceEntity } from '../database/entities';

/** The planner's view of an execution row. */
export function planInput(e: ExecutionEntity): PlanInput {
  return {
    strategy: e.strategy,
    totalInstances: e.totalInstances,
    batchSize: e.batchSize,
    batchDelaySeconds: e.batchDelaySeconds,
    maxUnavailablePercentage: e.maxUnavailablePercentage,
    canaryPercentage: e.canaryPercentage,
    phase: e.phase,
    lastBatchCompletedAt: e.lastBatchCompletedAt,
    currentBatch: e.currentBatch,
    approvedStages: e.approvedStage,
  };
}

export function plannerInstances(instances: readonly ExecutionInstanceEntity[]): PlannerInstance[] {
  return instances.map((i) => ({ id: i.id, status: i.status, batch: i.batch, failedAt: i.failedAt }));
}

/**
 * The decision function's view of an execution row. Instance rows need no copy: they carry every field
 * `DecisionInstance` reads (copying 10,000 rows for every decision would cost more than the decision).
 */
export function decisionInput(e: ExecutionEntity): DecisionExecution {
  return {
    ...planInput(e),
    status: e.status,
    halted: e.halted,
    autoRollbackEnabled: e.autoRollbackEnabled,
    failureThreshold: e.failureThreshold,
    failedInstances: e.failedInstances,
  };
}
