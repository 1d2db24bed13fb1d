import { randomUUID } from 'crypto';
import type {
  CommandOutcome,
  InstanceCommandType,
  InstanceStep,
  ProgressEvent,
  ValidationCheck,
} from '@upshift/contracts';
import type { ExecutionEntity, ExecutionInstanceEntity } from '../database/entities';

export interface PendingCommand {
  instance: ExecutionInstanceEntity;
  commandId: string;
}

export interface RegistrySync {
  instanceId: string;
  versionId: string;
}

/** A timer to (re)arm once the transaction has committed. */
export type TimerRequest =
  | { kind: 'advance'; executionId: string; at: Date; jobKey: string }
  /**
   * The deadline of the commands this transaction issued (one group: a batch, a rollback, a re-issue),
   * all issued at `issuedAt`; it fires `at` (ADR 0081).
   */
  | { kind: 'command-deadline'; executionId: string; issuedAt: Date; at: Date }
  | { kind: 'validate'; executionId: string };

/** One pre-upgrade check's verdict (ValidationRunner), stored in validation_result. */
export interface CheckOutcome {
  check: ValidationCheck;
  passed: boolean;
  detail: string;
}

/** Why a rollback started: the metrics' `reason` label, a fixed few values (never the free text). */
export type RollbackTrigger = 'failure_threshold' | 'canary_unhealthy' | 'manual';

/**
 * What the metrics record once the transaction has committed (apps/orchestrator/src/metrics): a step
 * report applied, a command's final answer applied (`issuedAt` → commit is its dispatch-to-result
 * latency), a rollback started. Recorded after the commit only, so a transaction that rolls back and is
 * retried counts once.
 */
export type EngineObservation =
  | { kind: 'step'; step: InstanceStep; outcome: CommandOutcome; startedAt: string; finishedAt: string }
  | { kind: 'command-answered'; type: InstanceCommandType; outcome: CommandOutcome; issuedAt: Date }
  | { kind: 'rollback-started'; trigger: RollbackTrigger };

/**
 * What the engine needs of a transaction: the locked rows to change in place, and somewhere to put what
 * the change emits. Nothing in it does I/O, so the engine runs as well on rows held in memory
 * (execution-engine.spec.ts) as under ExecutionStore's lock.
 */
export interface EngineTransaction {
  readonly now: Date;
  readonly execution: ExecutionEntity;
  readonly instances: readonly ExecutionInstanceEntity[];
  /** Timers to arm after the commit. */
  readonly timers: TimerRequest[];
  /** Instance versions the registry must learn after the commit. */
  readonly registrySync: RegistrySync[];
  /** Set when the canary monitor should look at this execution right after commit. */
  canaryCheckNow: boolean;
  /** For the metrics, after the commit. */
  readonly observations: EngineObservation[];
  instance(id: string): ExecutionInstanceEntity | undefined;
  emit(data: ProgressEvent): void;
  say(line: string, publish?: boolean): void;
  touch(instance: ExecutionInstanceEntity): void;
  command(instance: ExecutionInstanceEntity, type: InstanceCommandType, reissue?: boolean): string;
  clearCommand(instance: ExecutionInstanceEntity): void;
  /** Counts steps of the instance's pending command as applied (the command deadline reads them). */
  stepsApplied(instance: ExecutionInstanceEntity, count: number): void;
  /** A check's verdict, written (upserted) with the rest of the change. */
  recordValidation(outcome: CheckOutcome): void;
}

/**
 * Everything one state change does, collected while the execution row is locked and written in the
 * same Postgres transaction by ExecutionStore: the execution row, the instance rows that changed,
 * progress events (numbered from the locked row's counter, so the sequence is gap-free), commands,
 * transcript lines, validation results and the snapshot. It holds no connection: ExecutionStore
 * writes what it collected. Side effects that must not happen unless the transaction commits
 * (timers, registry updates, waking the canary monitor) are requested here and run by PostCommitEffects.
 */
export class ExecutionTransaction implements EngineTransaction {
  readonly now: Date;
  readonly events: ProgressEvent[] = [];
  readonly commands: PendingCommand[] = [];
  readonly transcript: string[] = [];
  readonly dirty = new Set<ExecutionInstanceEntity>();
  readonly timers: TimerRequest[] = [];
  readonly registrySync: RegistrySync[] = [];
  readonly validationResults: CheckOutcome[] = [];
  readonly observations: EngineObservation[] = [];
  /** The instances by id; kept with the cached rows between transactions (ExecutionStore). */
  readonly byId: ReadonlyMap<string, ExecutionInstanceEntity>;
  /** Set when anything changed (the execution row is written). */
  changed = false;
  /** Set when the change is worth a fresh snapshot on upgrade.executions. */
  snapshotDue = false;
  /** Set by the engine when the canary monitor should look at this execution right after commit. */
  canaryCheckNow = false;

  constructor(
    readonly execution: ExecutionEntity,
    readonly instances: ExecutionInstanceEntity[],
    byId?: ReadonlyMap<string, ExecutionInstanceEntity>,
  ) {
    // Strictly after the execution's previous transaction (which wrote its time to updated_at), even in
    // the same millisecond: the commands of one transaction are a group told apart by their issue time,
    // and the group's deadline must not take in commands issued later (ADR 0081).
    const previous = execution.updatedAt instanceof Date ? execution.updatedAt.getTime() : 0;
    this.now = new Date(Math.max(Date.now(), previous + 1));
    // Indexing 10,000 instances for every transaction was the orchestrator's largest own cost in
    // bench:e2e; the set of instances never changes after creation, so the index travels with the rows.
    this.byId = byId ?? new Map(instances.map((i) => [i.id, i]));
  }

  instance(id: string): ExecutionInstanceEntity | undefined {
    return this.byId.get(id);
  }

  emit(data: ProgressEvent): void {
    this.events.push(data);
    this.changed = true;
    // Instance-level events alone do not warrant a new snapshot (ADR 0046): at fleet scale a 500-instance
    // snapshot per result batch would dominate the outbox. Everything else does.
    if (data.kind !== 'InstanceStatusChanged') this.snapshotDue = true;
  }

  /** A transcript line; `publish` also sends it as a TranscriptLine progress event. */
  say(line: string, publish = false): void {
    this.transcript.push(line);
    if (publish) this.emit({ kind: 'TranscriptLine', line });
  }

  touch(instance: ExecutionInstanceEntity): void {
    this.dirty.add(instance);
    this.changed = true;
  }

  /**
   * Gives the instance a new pending command (superseding any earlier one) and queues it. Its fencing
   * token is drawn by ExecutionStore when the transaction is written (`sentCommands`).
   */
  command(instance: ExecutionInstanceEntity, type: InstanceCommandType, reissue = false): string {
    const commandId = randomUUID();
    instance.pendingCommandId = commandId;
    instance.pendingCommandType = type;
    instance.pendingCommandIssuedAt = this.now;
    instance.pendingCommandSteps = 0;
    instance.attempt = reissue ? instance.attempt + 1 : 1;
    this.commands.push({ instance, commandId });
    this.touch(instance);
    return commandId;
  }

  /** The commands to send: those still pending at the end (one superseded in this transaction is not sent). */
  sentCommands(): PendingCommand[] {
    return this.commands.filter(
      ({ instance, commandId }) =>
        instance.pendingCommandId === commandId && instance.pendingCommandType !== null,
    );
  }

  stepsApplied(instance: ExecutionInstanceEntity, count: number): void {
    instance.pendingCommandSteps += count;
    this.touch(instance);
  }

  recordValidation(outcome: CheckOutcome): void {
    this.validationResults.push(outcome);
    this.changed = true;
  }

  /** Forgets the instance's pending command: whatever answer still arrives for it is ignored. */
  clearCommand(instance: ExecutionInstanceEntity): void {
    if (instance.pendingCommandId === null) return;
    instance.pendingCommandId = null;
    instance.pendingCommandType = null;
    instance.pendingCommandIssuedAt = null;
    instance.pendingCommandSteps = 0;
    this.touch(instance);
  }
}
