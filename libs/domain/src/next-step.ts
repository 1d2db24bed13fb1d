import { ExecutionStatus, InstanceCommandType, InstanceStatus } from '@upshift/contracts/model';
import { planNextBatch } from './batch-planner';
import type { PlanInput, PlanPhase, PlannerInstance } from './batch-planner';
import { isTerminal, transitionExecutionThrough } from './execution-state-machine';
import type { ExecutionEvent } from './execution-state-machine';
import {
  completionEvent,
  decideOnBlocked,
  decideOnFailure,
  failRoute,
  rollbackOutcomeEvent,
  rollbackRoute,
} from './failure-policy';
import { isInstanceSettled, needsRollback } from './instance-state-machine';

/**
 * The engine's decision function (docs/adr/0080-decisions-in-the-domain.md): from an execution and its
 * instances, what comes next. The orchestrator loads the rows, asks, applies the step in its
 * transaction and asks again when something changed; every rule of what to do lives here, once,
 * composed from the status tables, the planner and the failure policy. Time is an argument: the
 * function is pure.
 */

const S = ExecutionStatus;

/** The execution as the decision reads it: the planner's input and the failure policy's settings. */
export interface DecisionExecution extends PlanInput {
  status: ExecutionStatus;
  /** HALT of the failure policy recorded: no new batch; FAILED once the in-flight instances settle. */
  halted: boolean;
  autoRollbackEnabled: boolean;
  failureThreshold: number;
  /** Instances that failed in this execution: the counter, so a failure later rolled back still counts. */
  failedInstances: number;
}

export interface DecisionInstance extends PlannerInstance {
  /** The command a worker is working on for this instance; null when none is outstanding. */
  pendingCommandType: InstanceCommandType | null;
  /** A ROLLBACK command for this instance failed. */
  rollbackFailed: boolean;
}

/** What the engine is waiting for when nothing is to be done now. */
export type WaitReason =
  'START' | 'VALIDATION' | 'INSTANCES' | 'CANARY_MONITORING' | 'PAUSED' | 'ROLLBACK_COMMANDS';

export type NextStep =
  /** Drain the instances (in this order) as batch `batch`. */
  | { kind: 'DISPATCH_BATCH'; batch: number; phase: PlanPhase; instanceIds: string[] }
  | { kind: 'WAIT'; for: WaitReason }
  /** The previous batch settled; the next may start at `until` (arm a timer for then). */
  | { kind: 'WAIT'; for: 'BATCH_DELAY'; until: Date }
  /** The canaries are upgraded: enter CANARY_MONITORING. */
  | { kind: 'MONITOR_CANARIES'; event: ExecutionEvent; reason: string }
  /** STAGED: a stage finished; pause until an operator approves the next one with /resume. */
  | { kind: 'AWAIT_APPROVAL'; stage: number; event: ExecutionEvent; reason: string }
  /** Reach ROLLING_BACK by `route` and send ROLLBACK to `instanceIds`. */
  | { kind: 'START_ROLLBACK'; reason: string; route: readonly ExecutionEvent[]; instanceIds: string[] }
  /** Record the HALT: no new batch from now on. */
  | { kind: 'HALT'; reason: string }
  /**
   * Reach the terminal `status` by `route`. `rollback` lists the outcome when this ends a rollback
   * (RollbackCompleted), null otherwise.
   */
  | {
      kind: 'COMPLETE';
      status: ExecutionStatus;
      route: readonly ExecutionEvent[];
      reason: string;
      rollback: { rolledBack: string[]; failed: string[] } | null;
    }
  /** Terminal: nothing will ever be done again. */
  | { kind: 'FINISHED'; status: ExecutionStatus };

/**
 * Commands that move an instance forward, as opposed to ROLLBACK: the one UPGRADE that carries it
 * through drain → upgrade → health-check (ADR 0081).
 */
export const FORWARD_COMMANDS: readonly InstanceCommandType[] = [InstanceCommandType.UPGRADE];

/** A worker is moving this instance forward: a halt waits for it, a rollback supersedes it. */
export function hasForwardCommand(instance: Pick<DecisionInstance, 'pendingCommandType'>): boolean {
  return instance.pendingCommandType !== null && FORWARD_COMMANDS.includes(instance.pendingCommandType);
}

/**
 * The instances a rollback sends ROLLBACK to: the upgraded and health-checking ones (`needsRollback`),
 * plus any instance a forward command is still working on, whose ROLLBACK supersedes that command and
 * returns it to service.
 */
export function rollbackTargets<T extends DecisionInstance>(instances: readonly T[]): T[] {
  return instances.filter((i) => needsRollback(i) || hasForwardCommand(i));
}

/** The step that starts a rollback from `status`; null when the status table has no way there from it. */
export function startRollback(
  status: ExecutionStatus,
  instances: readonly DecisionInstance[],
  reason: string,
): Extract<NextStep, { kind: 'START_ROLLBACK' }> | null {
  const route = rollbackRoute(status);
  if (route === null) return null;
  return { kind: 'START_ROLLBACK', reason, route, instanceIds: rollbackTargets(instances).map((i) => i.id) };
}

export function thresholdReason(failures: number, threshold: number): string {
  return `${failures} instance failure(s) reached the failure threshold of ${threshold}`;
}

/**
 * The failure policy applied to the execution (ADR 0003): at the threshold, a rollback with
 * auto-rollback and a route to ROLLING_BACK, else a HALT not yet recorded; null when nothing is to
 * be done about failures. The engine asks this the moment an instance fails, so that a rollback starts
 * in the very transaction that saw the failure (invariant 5); `decideNext` asks it first.
 */
export function failureStep(
  execution: DecisionExecution,
  instances: readonly DecisionInstance[],
): Extract<NextStep, { kind: 'START_ROLLBACK' | 'HALT' }> | null {
  if (isTerminal(execution.status) || execution.status === S.ROLLING_BACK) return null;
  const decision = decideOnFailure({
    autoRollbackEnabled: execution.autoRollbackEnabled,
    failureThreshold: execution.failureThreshold,
    currentFailures: execution.failedInstances,
  });
  const reason = thresholdReason(execution.failedInstances, execution.failureThreshold);
  if (decision === 'ROLLBACK') return startRollback(execution.status, instances, reason);
  if (decision === 'HALT' && !execution.halted) return { kind: 'HALT', reason };
  return null;
}

/** Statuses from which a recorded HALT ends in FAILED once nothing is in flight. */
const HALTING_STATUSES: readonly ExecutionStatus[] = [S.IN_PROGRESS, S.CANARY_RUNNING, S.PAUSED];

/** Statuses in which nothing happens until someone or something else acts. */
const WAITING_STATUSES: ReadonlyMap<ExecutionStatus, WaitReason> = new Map<ExecutionStatus, WaitReason>([
  [S.PENDING, 'START'],
  [S.VALIDATING, 'VALIDATION'],
  [S.PAUSED, 'PAUSED'],
  [S.CANARY_MONITORING, 'CANARY_MONITORING'],
]);

/** Which instances of `batch` completed and failed, once every one of them has settled; null before. */
export function settledBatch(
  instances: readonly Pick<DecisionInstance, 'status' | 'batch'>[],
  batch: number,
): { completed: number; failed: number } | null {
  const members = instances.filter((i) => i.batch === batch);
  if (members.some((i) => !isInstanceSettled(i.status))) return null;
  return {
    completed: members.filter((i) => i.status === InstanceStatus.COMPLETED).length,
    failed: members.filter((i) => i.status === InstanceStatus.FAILED).length,
  };
}

/**
 * The rules, first match wins: a terminal execution is finished; a rollback waits for its ROLLBACK
 * commands, then ends; the failure policy (`failureStep`); a recorded HALT waits for the in-flight
 * instances, then fails; PENDING, VALIDATING, PAUSED and CANARY_MONITORING wait; otherwise the planner
 * decides (dispatch, wait, canaries done, stage done, blocked, all done).
 */
export function decideNext(
  execution: DecisionExecution,
  instances: readonly DecisionInstance[],
  now: Date,
): NextStep {
  const { status } = execution;
  if (isTerminal(status)) return { kind: 'FINISHED', status };
  if (status === S.ROLLING_BACK) return rollbackProgress(instances);

  const onFailure = failureStep(execution, instances);
  if (onFailure !== null) return onFailure;

  if (execution.halted && HALTING_STATUSES.includes(status)) {
    if (instances.some(hasForwardCommand)) return { kind: 'WAIT', for: 'INSTANCES' };
    return complete(
      status,
      failRoute(status),
      thresholdReason(execution.failedInstances, execution.failureThreshold),
    );
  }

  const waiting = WAITING_STATUSES.get(status);
  if (waiting !== undefined) return { kind: 'WAIT', for: waiting };

  return plannedStep(execution, instances, now);
}

/** IN_PROGRESS or CANARY_RUNNING, no failure to act on: the planner says what comes next. */
function plannedStep(
  execution: DecisionExecution,
  instances: readonly DecisionInstance[],
  now: Date,
): NextStep {
  const decision = planNextBatch(execution, instances, now);
  switch (decision.kind) {
    case 'START_BATCH':
      return {
        kind: 'DISPATCH_BATCH',
        batch: decision.batch,
        phase: execution.phase,
        instanceIds: decision.instanceIds,
      };
    case 'WAIT_FOR_INSTANCES':
      return { kind: 'WAIT', for: 'INSTANCES' };
    case 'WAIT_UNTIL':
      return { kind: 'WAIT', for: 'BATCH_DELAY', until: decision.at };
    case 'CANARY_PHASE_DONE':
      return {
        kind: 'MONITOR_CANARIES',
        event: 'CANARY_DEPLOYED',
        reason: 'canaries upgraded; monitoring their health',
      };
    case 'STAGE_DONE':
      return {
        kind: 'AWAIT_APPROVAL',
        stage: decision.stage,
        event: 'PAUSE',
        reason: `stage ${decision.stage} finished; resume to approve the next stage`,
      };
    case 'BLOCKED': {
      // Same outcome as reaching the threshold: roll back, or fail (nothing is in flight to wait for).
      const rollback =
        decideOnBlocked(execution.autoRollbackEnabled) === 'ROLLBACK'
          ? startRollback(execution.status, instances, decision.reason)
          : null;
      return rollback ?? complete(execution.status, failRoute(execution.status), decision.reason);
    }
    case 'ALL_DONE':
      return complete(
        execution.status,
        [completionEvent(decision)],
        decision.failed === 0
          ? `all ${decision.completed} instance(s) upgraded`
          : `${decision.completed} instance(s) upgraded, ${decision.failed} failed`,
      );
  }
}

/** ROLLING_BACK: wait for every ROLLBACK command, then ROLLED_BACK, or FAILED if any revert failed. */
function rollbackProgress(instances: readonly DecisionInstance[]): NextStep {
  if (instances.some((i) => i.pendingCommandType === InstanceCommandType.ROLLBACK)) {
    return { kind: 'WAIT', for: 'ROLLBACK_COMMANDS' };
  }
  const rolledBack = instances.filter((i) => i.status === InstanceStatus.ROLLED_BACK).map((i) => i.id);
  const failed = instances.filter((i) => i.rollbackFailed).map((i) => i.id);
  const step = complete(
    S.ROLLING_BACK,
    [rollbackOutcomeEvent({ rolledBack: rolledBack.length, failed: failed.length })],
    failed.length > 0
      ? `rollback failed on ${failed.length} instance(s)`
      : `${rolledBack.length} instance(s) rolled back`,
  );
  return { ...step, rollback: { rolledBack, failed } };
}

/** The step to the terminal status `route` leads to; a route the tables refuse is a bug of this module. */
function complete(
  from: ExecutionStatus,
  route: readonly ExecutionEvent[] | null,
  reason: string,
): Extract<NextStep, { kind: 'COMPLETE' }> {
  const result = route === null ? null : transitionExecutionThrough(from, route);
  if (route === null || result === null || !result.ok || !isTerminal(result.to)) {
    throw new Error(
      `domain bug: no route from ${from} to a terminal status (${route?.join(' → ') ?? 'none'})`,
    );
  }
  return { kind: 'COMPLETE', status: result.to, route, reason, rollback: null };
}
