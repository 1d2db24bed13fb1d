import type { PlanInput, PlannerInstance } from '@upshift/domain';
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
