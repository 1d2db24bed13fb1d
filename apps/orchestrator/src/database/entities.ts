import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  ForeignKey,
  Index,
  PrimaryColumn,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { InstanceStatus } from '@upshift/contracts';
import type {
  ExecutionStatus,
  InstanceCommandType,
  UpgradeStrategy,
  ValidationCheck,
} from '@upshift/contracts';

export const SCHEMA = 'orchestrator';

/** bigint columns come back from pg as strings; counters here stay well inside 2^53. */
const bigintAsNumber = {
  to: (v: number) => v,
  from: (v: string | number | null) => (v === null ? 0 : Number(v)),
};

/** The same for a nullable bigint: null stays null. */
const nullableBigintAsNumber = {
  to: (v: number | null) => v,
  from: (v: string | number | null) => (v === null ? null : Number(v)),
};

export type ExecutionPhase = 'CANARY' | 'ROLLOUT';

/** The statuses an execution ends in; the partial indexes below cover only the other ones. */
const ACTIVE = "status NOT IN ('COMPLETED', 'FAILED', 'ROLLED_BACK', 'CANCELLED')";

/**
 * Each row below belongs to one execution and goes with it: the foreign keys the first migration
 * declares inline, under the names Postgres gave them. Declared with @ForeignKey rather than a relation
 * so that loading and saving stay on the plain `executionId` column.
 */
const belongsToExecution = (name: string) => ForeignKey(() => ExecutionEntity, { name, onDelete: 'CASCADE' });

/**
 * One upgrade execution: the request, where it stands, and what its commands need to carry.
 *
 * The indexes, check and defaults repeat what the migrations create, so that TypeORM's schema builder
 * agrees with them (the schema-drift suite); the migrations remain the schema. One detail TypeORM's index
 * metadata cannot carry: execution_tenant_created orders created_at DESC (the newest-first list).
 * A column with a default is read back by a repository insert, untransformed (bigints as strings):
 * ExecutionStore inserts without reading back.
 */
@Entity({ schema: SCHEMA, name: 'execution' })
@Index('execution_tenant_created', ['tenantId', 'createdAt', 'id'])
@Index('execution_component', ['componentId'])
// At most one active execution per tenant and component: the database's answer to two concurrent
// POSTs, which the create endpoint turns into 409 active-execution-exists (docs/api-contract.md).
@Index('execution_one_active_per_component', ['tenantId', 'componentId'], { unique: true, where: ACTIVE })
@Index('execution_canary_due', ['nextCanaryCheckAt'], { where: "status = 'CANARY_MONITORING'" })
@Index('execution_active', ['status'], { where: ACTIVE })
@Check('execution_phase_check', "phase IN ('CANARY', 'ROLLOUT')")
export class ExecutionEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('text', { name: 'tenant_id' }) tenantId!: string;
  @Column('text', { name: 'component_id' }) componentId!: string;
  @Column('text', { name: 'from_version_id' }) fromVersionId!: string;
  @Column('text', { name: 'to_version_id' }) toVersionId!: string;

  @Column('text') strategy!: UpgradeStrategy;
  @Column('int', { name: 'canary_percentage' }) canaryPercentage!: number;
  @Column('int', { name: 'batch_size' }) batchSize!: number;
  @Column('int', { name: 'batch_delay_seconds' }) batchDelaySeconds!: number;
  @Column('int', { name: 'health_check_interval_seconds' }) healthCheckIntervalSeconds!: number;
  @Column('int', { name: 'health_check_timeout_seconds' }) healthCheckTimeoutSeconds!: number;
  @Column('int', { name: 'max_unavailable_percentage' }) maxUnavailablePercentage!: number;
  @Column('int', { name: 'total_instances' }) totalInstances!: number;
  @Column('boolean', { name: 'auto_rollback_enabled' }) autoRollbackEnabled!: boolean;
  @Column('int', { name: 'failure_threshold' }) failureThreshold!: number;
  @Column('text', { name: 'initiated_by', nullable: true }) initiatedBy!: string | null;
  @Column('jsonb', { name: 'installed_components', nullable: true }) installedComponents!: Record<
    string,
    string
  > | null;

  @Column('text') status!: ExecutionStatus;
  @Column('text', { name: 'status_reason', nullable: true }) statusReason!: string | null;
  @Column('text') phase!: ExecutionPhase;
  /** HALT from the failure policy: no new batches; FAILED once the in-flight ones settle. */
  @Column('boolean', { default: false }) halted!: boolean;
  @Column('int', { name: 'completed_instances', default: 0 }) completedInstances!: number;
  @Column('int', { name: 'failed_instances', default: 0 }) failedInstances!: number;
  @Column('int', { name: 'current_batch', default: 0 }) currentBatch!: number;
  @Column('int', { name: 'total_batches', default: 0 }) totalBatches!: number;
  /** STAGED: the last stage an operator approved (by resuming). */
  @Column('int', { name: 'approved_stage', default: 0 }) approvedStage!: number;
  @Column('timestamptz', { name: 'last_batch_completed_at', nullable: true })
  lastBatchCompletedAt!: Date | null;
  @Column('timestamptz', { name: 'next_canary_check_at', nullable: true }) nextCanaryCheckAt!: Date | null;

  /** Last `sequence` used on upgrade.progress for this execution (gap-free, from this locked row). */
  @Column('bigint', { name: 'progress_sequence', default: 0, transformer: bigintAsNumber })
  progressSequence!: number;
  /** Incremented by every committed state change: a fencing token for work done outside the lock. */
  @Column('bigint', { name: 'lease_version', default: 0, transformer: bigintAsNumber })
  leaseVersion!: number;

  // What every command carries, captured at creation so commands never wait on the registry.
  @Column('text', { name: 'from_version' }) fromVersion!: string;
  @Column('text', { name: 'to_version' }) toVersion!: string;
  @Column('text', { name: 'artifact_url' }) artifactUrl!: string;
  @Column('text', { name: 'artifact_sha256' }) artifactSha256!: string;
  @Column('text', { name: 'artifact_signature', nullable: true }) artifactSignature!: string | null;
  @Column('jsonb', { name: 'target_dependencies', default: {} }) targetDependencies!: Record<string, string>;

  @Column('text', { name: 'rollback_reason', nullable: true }) rollbackReason!: string | null;
  @Column('timestamptz', { name: 'rollback_initiated_at', nullable: true }) rollbackInitiatedAt!: Date | null;
  @Column('text', { name: 'rollback_initiated_by', nullable: true }) rollbackInitiatedBy!: string | null;

  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'started_at', nullable: true }) startedAt!: Date | null;
  @Column('timestamptz', { name: 'completed_at', nullable: true }) completedAt!: Date | null;
  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' }) updatedAt!: Date;
}

/** One instance of one execution; `id` is the registry's instance id. */
@Entity({ schema: SCHEMA, name: 'execution_instance' })
@Index('execution_instance_position', ['executionId', 'position'])
@Index('execution_instance_pending', ['pendingCommandIssuedAt'], { where: 'pending_command_id IS NOT NULL' })
export class ExecutionInstanceEntity {
  @PrimaryColumn('uuid', { name: 'execution_id' })
  @belongsToExecution('execution_instance_execution_id_fkey')
  executionId!: string;
  @PrimaryColumn('text') id!: string;
  /** Order of the registry listing (by name): the order batches take instances in. */
  @Column('int') position!: number;
  @Column('text') name!: string;
  @Column('text', { name: 'agent_url' }) agentUrl!: string;
  @Column('text') status!: InstanceStatus;
  @Column('int', { nullable: true }) batch!: number | null;
  @Column('text', { name: 'failed_at', nullable: true }) failedAt!: InstanceStatus | null;
  @Column('timestamptz', { name: 'started_at', nullable: true }) startedAt!: Date | null;
  @Column('timestamptz', { name: 'completed_at', nullable: true }) completedAt!: Date | null;
  @Column('text', { nullable: true }) error!: string | null;
  @Column('uuid', { name: 'pending_command_id', nullable: true }) pendingCommandId!: string | null;
  @Column('text', { name: 'pending_command_type', nullable: true })
  pendingCommandType!: InstanceCommandType | null;
  @Column('timestamptz', { name: 'pending_command_issued_at', nullable: true })
  pendingCommandIssuedAt!: Date | null;
  @Column('int', { default: 0 }) attempt!: number;
  /** Steps of the pending command applied so far: 0 means its worker never answered (ADR 0081). */
  @Column('int', { name: 'pending_command_steps', default: 0 }) pendingCommandSteps!: number;
  /**
   * The fencing token of the newest command sent to this instance (drawn from command_fencing_seq when the
   * command is written, so it grows across re-issues, rollbacks and executions); null before the first.
   */
  @Column('bigint', { name: 'fencing_token', nullable: true, transformer: nullableBigintAsNumber })
  fencingToken!: number | null;
  /** Set when a ROLLBACK command for this instance failed. */
  @Column('boolean', { name: 'rollback_failed', default: false }) rollbackFailed!: boolean;
  /** Out of support (ADR 0092) when the execution was created, per the registry's inventory; never changes. */
  @Column('boolean', { name: 'out_of_support', default: false }) outOfSupport!: boolean;
}

@Entity({ schema: SCHEMA, name: 'validation_result' })
export class ValidationResultEntity {
  @PrimaryColumn('uuid', { name: 'execution_id' })
  @belongsToExecution('validation_result_execution_id_fkey')
  executionId!: string;
  @PrimaryColumn('text') check!: ValidationCheck;
  @Column('boolean') passed!: boolean;
  @Column('text') detail!: string;
  @Column('timestamptz', { name: 'checked_at' }) checkedAt!: Date;
}

@Entity({ schema: SCHEMA, name: 'transcript_line' })
@Index('transcript_line_execution', ['executionId', 'id'])
export class TranscriptLineEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id!: string;
  @Column('uuid', { name: 'execution_id' })
  @belongsToExecution('transcript_line_execution_id_fkey')
  executionId!: string;
  @Column('timestamptz') at!: Date;
  @Column('text') line!: string;
}

export const ENTITIES = [
  ExecutionEntity,
  ExecutionInstanceEntity,
  ValidationResultEntity,
  TranscriptLineEntity,
];

/** A new execution's instance as creation writes it: pending, never dispatched. */
export function pendingInstance(fields: {
  executionId: string;
  id: string;
  position: number;
  name: string;
  agentUrl: string;
  outOfSupport?: boolean;
}): ExecutionInstanceEntity {
  return Object.assign(new ExecutionInstanceEntity(), {
    ...fields,
    outOfSupport: fields.outOfSupport ?? false,
    status: InstanceStatus.PENDING,
    batch: null,
    failedAt: null,
    startedAt: null,
    completedAt: null,
    error: null,
    pendingCommandId: null,
    pendingCommandType: null,
    pendingCommandIssuedAt: null,
    attempt: 0,
    pendingCommandSteps: 0,
    fencingToken: null,
    rollbackFailed: false,
  } satisfies ExecutionInstanceEntity);
}
