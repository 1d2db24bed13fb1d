import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { ExecutionStatus, InstanceStatus, UpgradeStrategy, ValidationCheck } from '../enums';
import { IsoDateTime, Nullable, StringEnum, TenantId, Uuid } from '../schema-kit';

/**
 * The response bodies of the orchestrator (docs/api-contract.md), written once as TypeBox schemas: the REST
 * responses, the compacted `upgrade.executions` snapshots and the generated JSON Schemas all come from
 * here. Times are ISO-8601 strings (the contract's LocalDateTime rendered in UTC) or null when not reached.
 */

export const UpgradeInstanceViewSchema = Type.Object(
  {
    id: Uuid({ description: 'Instance id (the registry inventory id)' }),
    name: Type.String({ description: 'Instance name from the inventory' }),
    status: StringEnum(InstanceStatus),
    batch: Nullable(Type.Integer({ minimum: 0 }), {
      description: 'Batch that upgrades it; null until planned',
    }),
    startedAt: Nullable(IsoDateTime()),
    completedAt: Nullable(IsoDateTime()),
    error: Nullable(Type.String(), { description: 'Why it failed, when it did' }),
    outOfSupport: Type.Optional(
      Type.Boolean({
        description:
          'Addition (ADR 0092): the instance was more than one major behind its component’s newest published ' +
          'version when the execution was created. Informational; absent in snapshots written before it.',
      }),
    ),
  },
  { $id: 'UpgradeInstanceView', title: 'UpgradeInstanceView' },
);
export type UpgradeInstanceView = Static<typeof UpgradeInstanceViewSchema>;

export const ValidationResultViewSchema = Type.Object(
  {
    check: StringEnum(ValidationCheck),
    passed: Type.Boolean(),
    detail: Type.String(),
    checkedAt: IsoDateTime(),
  },
  { $id: 'ValidationResultView', title: 'ValidationResultView' },
);
export type ValidationResultView = Static<typeof ValidationResultViewSchema>;

/** docs/api-contract.md "RollbackInfo", field names exactly. */
export const RollbackInfoSchema = Type.Object(
  {
    autoRollbackEnabled: Type.Boolean(),
    failureThreshold: Type.Integer({ minimum: 1 }),
    currentFailures: Type.Integer({ minimum: 0 }),
    rollbackReason: Nullable(Type.String()),
    rollbackInitiatedAt: Nullable(IsoDateTime()),
    rollbackInitiatedBy: Nullable(Type.String(), {
      description: 'The caller, or `system:auto-rollback` when the failure policy triggered it',
    }),
    rolledBackInstances: Type.Array(Uuid(), { description: 'Ids of the instances that were rolled back' }),
  },
  { $id: 'RollbackInfo', title: 'RollbackInfo' },
);
export type RollbackInfo = Static<typeof RollbackInfoSchema>;

export const UpgradeExecutionViewSchema = Type.Object(
  {
    id: Uuid({ description: 'Execution id' }),
    tenantId: TenantId(),
    componentId: Uuid(),
    fromVersionId: Uuid(),
    toVersionId: Uuid(),
    strategy: StringEnum(UpgradeStrategy),
    canaryPercentage: Type.Integer({ minimum: 1, maximum: 100 }),
    batchSize: Type.Integer({ minimum: 1 }),
    batchDelaySeconds: Type.Integer({ minimum: 0 }),
    healthCheckIntervalSeconds: Type.Integer({ minimum: 1 }),
    healthCheckTimeoutSeconds: Type.Integer({ minimum: 1 }),
    maxUnavailablePercentage: Type.Integer({ minimum: 1, maximum: 100 }),
    totalInstances: Type.Integer({ minimum: 1 }),
    autoRollbackEnabled: Type.Boolean(),
    failureThreshold: Type.Integer({ minimum: 1 }),
    initiatedBy: Nullable(Type.String()),
    installedComponents: Type.Record(Type.String(), Type.String(), {
      description: 'Installed component name → version, as sent with the request',
    }),
    status: StringEnum(ExecutionStatus),
    statusReason: Nullable(Type.String(), {
      description:
        'Why the execution entered its current status, when there is more to say than the status: the failed checks, the failure threshold reached, the stage awaiting approval, the rollback that failed',
    }),
    completedInstances: Type.Integer({ minimum: 0 }),
    failedInstances: Type.Integer({ minimum: 0 }),
    currentBatch: Type.Integer({ minimum: 0, description: '0 before the first batch starts' }),
    totalBatches: Type.Integer({ minimum: 0 }),
    instances: Type.Array(UpgradeInstanceViewSchema),
    validationResults: Type.Array(ValidationResultViewSchema),
    rollbackInfo: Nullable(RollbackInfoSchema),
    createdAt: IsoDateTime(),
    startedAt: Nullable(IsoDateTime()),
    completedAt: Nullable(IsoDateTime()),
  },
  { $id: 'UpgradeExecutionView', title: 'UpgradeExecutionView' },
);
export type UpgradeExecutionView = Static<typeof UpgradeExecutionViewSchema>;

/** docs/api-contract.md "ExecutionStatistics". successRate is a percentage 0–100 of finished executions. */
export const ExecutionStatisticsSchema = Type.Object(
  {
    componentId: Uuid(),
    totalExecutions: Type.Integer({ minimum: 0 }),
    successfulExecutions: Type.Integer({ minimum: 0 }),
    failedExecutions: Type.Integer({ minimum: 0, description: 'FAILED and ROLLED_BACK executions' }),
    successRate: Type.Number({ minimum: 0, maximum: 100 }),
    averageDurationSeconds: Type.Number({ minimum: 0 }),
  },
  { $id: 'ExecutionStatistics', title: 'ExecutionStatistics' },
);
export type ExecutionStatistics = Static<typeof ExecutionStatisticsSchema>;
