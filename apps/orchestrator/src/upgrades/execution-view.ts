import type { UpgradeExecutionView, UpgradeInstanceView, ValidationResultView } from '@upshift/contracts';
import { InstanceStatus } from '@upshift/contracts';
import type { ExecutionEntity, ExecutionInstanceEntity, ValidationResultEntity } from '../database/entities';

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

const CHECK_ORDER = [
  'VERSION_COMPATIBILITY',
  'RESOURCE_AVAILABILITY',
  'BACKUP_VERIFICATION',
  'HEALTH_ENDPOINTS',
  'DEPENDENCY_CHECK',
];

export function toInstanceView(i: ExecutionInstanceEntity): UpgradeInstanceView {
  return {
    id: i.id,
    name: i.name,
    status: i.status,
    batch: i.batch,
    startedAt: iso(i.startedAt),
    completedAt: iso(i.completedAt),
    error: i.error,
    outOfSupport: i.outOfSupport,
  };
}

/** The execution body of docs/api-contract.md: the request as stored, where it stands, and its RollbackInfo. */
export function toExecutionView(
  e: ExecutionEntity,
  instances: readonly ExecutionInstanceEntity[],
  validation: readonly ValidationResultEntity[],
): UpgradeExecutionView {
  const sortedChecks = [...validation].sort(
    (a, b) => CHECK_ORDER.indexOf(a.check) - CHECK_ORDER.indexOf(b.check),
  );
  const sortedInstances = [...instances].sort((a, b) => a.position - b.position);
  return {
    id: e.id,
    tenantId: e.tenantId,
    componentId: e.componentId,
    fromVersionId: e.fromVersionId,
    toVersionId: e.toVersionId,
    strategy: e.strategy,
    canaryPercentage: e.canaryPercentage,
    batchSize: e.batchSize,
    batchDelaySeconds: e.batchDelaySeconds,
    healthCheckIntervalSeconds: e.healthCheckIntervalSeconds,
    healthCheckTimeoutSeconds: e.healthCheckTimeoutSeconds,
    maxUnavailablePercentage: e.maxUnavailablePercentage,
    totalInstances: e.totalInstances,
    autoRollbackEnabled: e.autoRollbackEnabled,
    failureThreshold: e.failureThreshold,
    initiatedBy: e.initiatedBy,
    installedComponents: e.installedComponents ?? {},
    status: e.status,
    statusReason: e.statusReason,
    completedInstances: e.completedInstances,
    failedInstances: e.failedInstances,
    currentBatch: e.currentBatch,
    totalBatches: e.totalBatches,
    instances: sortedInstances.map(toInstanceView),
    validationResults: sortedChecks.map((v): ValidationResultView => ({
      check: v.check,
      passed: v.passed,
      detail: v.detail,
      checkedAt: v.checkedAt.toISOString(),
    })),
    rollbackInfo: {
      autoRollbackEnabled: e.autoRollbackEnabled,
      failureThreshold: e.failureThreshold,
      currentFailures: e.failedInstances,
      rollbackReason: e.rollbackReason,
      rollbackInitiatedAt: iso(e.rollbackInitiatedAt),
      rollbackInitiatedBy: e.rollbackInitiatedBy,
      rolledBackInstances: sortedInstances
        .filter((i) => i.status === InstanceStatus.ROLLED_BACK)
        .map((i) => i.id),
    },
    createdAt: e.createdAt.toISOString(),
    startedAt: iso(e.startedAt),
    completedAt: iso(e.completedAt),
  };
}
