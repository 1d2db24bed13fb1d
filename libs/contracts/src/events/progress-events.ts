import { Type } from '@sinclair/typebox';
import type { Static, TLiteral, TObject, TProperties } from '@sinclair/typebox';
import { ExecutionStatus, InstanceStatus, UpgradeStrategy, ValidationCheck } from '../enums';
import { Nullable, StringEnum, Uuid } from '../schema-kit';

/**
 * `upgrade.progress`, key executionId: one event per committed state change, envelope type
 * `upshift.progress.<kind>`, `sequence` gap-free per execution. `data.kind` names the event so a
 * consumer can switch on it without reading the envelope.
 */
function progressEvent<K extends string, P extends TProperties>(
  kind: K,
  properties: P,
  description: string,
): TObject<{ kind: TLiteral<K> } & P> {
  return Type.Object({ kind: Type.Literal(kind), ...properties }, { $id: kind, title: kind, description });
}

export const ExecutionCreatedSchema = progressEvent(
  'ExecutionCreated',
  {
    componentId: Uuid(),
    fromVersionId: Uuid(),
    toVersionId: Uuid(),
    strategy: StringEnum(UpgradeStrategy),
    status: StringEnum(ExecutionStatus),
    totalInstances: Type.Integer({ minimum: 1 }),
    initiatedBy: Nullable(Type.String()),
    instances: Type.Array(Type.Object({ instanceId: Uuid(), instanceName: Type.String() })),
  },
  'An execution was accepted (status PENDING) with the instances it will upgrade',
);

export const ExecutionStatusChangedSchema = progressEvent(
  'ExecutionStatusChanged',
  {
    from: StringEnum(ExecutionStatus),
    to: StringEnum(ExecutionStatus),
    reason: Nullable(Type.String()),
  },
  'The execution moved along the execution status transition table',
);

export const InstanceStatusChangedSchema = progressEvent(
  'InstanceStatusChanged',
  {
    instanceId: Uuid(),
    instanceName: Type.String(),
    from: StringEnum(InstanceStatus),
    to: StringEnum(InstanceStatus),
    batch: Nullable(Type.Integer({ minimum: 0 })),
    error: Nullable(Type.String()),
  },
  'One instance moved along its lifecycle',
);

export const BatchStartedSchema = progressEvent(
  'BatchStarted',
  { batch: Type.Integer({ minimum: 1 }), instanceIds: Type.Array(Uuid()) },
  'The planner started a batch',
);

export const BatchCompletedSchema = progressEvent(
  'BatchCompleted',
  {
    batch: Type.Integer({ minimum: 1 }),
    completed: Type.Integer({ minimum: 0 }),
    failed: Type.Integer({ minimum: 0 }),
  },
  'Every instance of a batch settled',
);

export const ValidationCheckCompletedSchema = progressEvent(
  'ValidationCheckCompleted',
  { check: StringEnum(ValidationCheck), passed: Type.Boolean(), detail: Type.String() },
  'One of the five pre-upgrade checks finished',
);

export const CanaryHealthReportedSchema = progressEvent(
  'CanaryHealthReported',
  {
    healthy: Type.Integer({ minimum: 0, description: 'Canaries that answered healthy' }),
    unhealthy: Type.Integer({ minimum: 0 }),
    instanceIds: Type.Array(Uuid(), { description: 'The canaries checked' }),
  },
  'The canary monitor checked the canaries',
);

export const RollbackStartedSchema = progressEvent(
  'RollbackStarted',
  {
    reason: Type.String(),
    initiatedBy: Type.String({ description: 'The caller, or system:auto-rollback' }),
    instanceIds: Type.Array(Uuid(), { description: 'Instances that get a ROLLBACK command' }),
  },
  'A rollback began',
);

export const RollbackCompletedSchema = progressEvent(
  'RollbackCompleted',
  { rolledBackInstances: Type.Array(Uuid()), failedInstances: Type.Array(Uuid()) },
  'Every rollback command settled',
);

export const TranscriptLineSchema = progressEvent(
  'TranscriptLine',
  { line: Type.String() },
  'A human-readable line of the execution transcript',
);

export const PROGRESS_EVENT_SCHEMAS = [
  ExecutionCreatedSchema,
  ExecutionStatusChangedSchema,
  InstanceStatusChangedSchema,
  BatchStartedSchema,
  BatchCompletedSchema,
  ValidationCheckCompletedSchema,
  CanaryHealthReportedSchema,
  RollbackStartedSchema,
  RollbackCompletedSchema,
  TranscriptLineSchema,
] as const;

export const ProgressEventSchema = Type.Union([...PROGRESS_EVENT_SCHEMAS], {
  $id: 'ProgressEvent',
  title: 'ProgressEvent',
});

export type ExecutionCreated = Static<typeof ExecutionCreatedSchema>;
export type ExecutionStatusChanged = Static<typeof ExecutionStatusChangedSchema>;
export type InstanceStatusChanged = Static<typeof InstanceStatusChangedSchema>;
export type BatchStarted = Static<typeof BatchStartedSchema>;
export type BatchCompleted = Static<typeof BatchCompletedSchema>;
export type ValidationCheckCompleted = Static<typeof ValidationCheckCompletedSchema>;
export type CanaryHealthReported = Static<typeof CanaryHealthReportedSchema>;
export type RollbackStarted = Static<typeof RollbackStartedSchema>;
export type RollbackCompleted = Static<typeof RollbackCompletedSchema>;
export type TranscriptLine = Static<typeof TranscriptLineSchema>;
export type ProgressEvent = Static<typeof ProgressEventSchema>;
export type ProgressEventKind = ProgressEvent['kind'];

export const PROGRESS_EVENT_KINDS = PROGRESS_EVENT_SCHEMAS.map(
  (schema) => schema.properties.kind.const,
) as readonly ProgressEventKind[];
