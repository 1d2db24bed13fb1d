import {
  COMMAND_STEPS,
  CommandOutcome,
  InstanceCommandType,
  InstanceStatus,
  InstanceStep,
} from '@upshift/contracts/model';
import type { InstanceEvent } from './instance-state-machine';

/**
 * How a worker's step report moves an instance (docs/adr/0081-one-command-per-instance-attempt.md).
 * One UPGRADE command carries an instance through DRAIN → UPGRADE → HEALTH_CHECK; each step that
 * succeeds is one forward event of the instance table. The instance's status says which steps are
 * already applied, so a replayed or repeated report finds its steps reflected and changes nothing.
 */

const I = InstanceStatus;
const UPGRADE_STEPS = COMMAND_STEPS[InstanceCommandType.UPGRADE];

/** The forward event each UPGRADE step's success is, in step order. */
const SUCCESS_EVENT: Readonly<Record<string, InstanceEvent>> = {
  [InstanceStep.DRAIN]: 'DRAINED',
  [InstanceStep.UPGRADE]: 'UPGRADED',
  [InstanceStep.HEALTH_CHECK]: 'HEALTHY',
};

/** How many UPGRADE steps an instance in this status has behind it; null when no UPGRADE can be running. */
const STEPS_BEHIND: ReadonlyMap<InstanceStatus, number> = new Map([
  [I.DRAINING, 0],
  [I.UPGRADING, 1],
  [I.HEALTH_CHECKING, 2],
]);

export type StepApplication =
  /** The status already reflects this step (a replay, a duplicate, or a report repeating a step). */
  | { kind: 'ALREADY_APPLIED' }
  /**
   * Apply `events` in order. A report of a later step implies the earlier ones succeeded (a worker starts
   * a step only after the previous one did), so their events come first. `settlesCommand`: the command
   * is over (its last step succeeded, or a step failed; the last event is then FAILED).
   */
  | { kind: 'APPLY'; events: InstanceEvent[]; settlesCommand: boolean };

/**
 * What one step report of an UPGRADE command means for an instance in `status`. Throws when the
 * instance cannot be running an UPGRADE (not DRAINING, UPGRADING or HEALTH_CHECKING) or the step is not
 * one of UPGRADE's: that is a state the engine never writes, not traffic to ignore.
 */
export function upgradeStepApplication(
  status: InstanceStatus,
  report: { step: InstanceStep; outcome: CommandOutcome },
): StepApplication {
  const behind = STEPS_BEHIND.get(status);
  const index = UPGRADE_STEPS.indexOf(report.step);
  if (behind === undefined || index < 0) {
    throw new Error(`an UPGRADE step ${report.step} cannot apply to an instance that is ${status}`);
  }
  if (index < behind) return { kind: 'ALREADY_APPLIED' };
  const implied = UPGRADE_STEPS.slice(behind, index).map((step) => SUCCESS_EVENT[step] as InstanceEvent);
  if (report.outcome === CommandOutcome.FAILED) {
    return { kind: 'APPLY', events: [...implied, 'FAILED'], settlesCommand: true };
  }
  return {
    kind: 'APPLY',
    events: [...implied, SUCCESS_EVENT[report.step] as InstanceEvent],
    settlesCommand: index === UPGRADE_STEPS.length - 1,
  };
}

/** The step a command in flight waits for next, from the instance's status. */
export function awaitedStep(type: InstanceCommandType, status: InstanceStatus): InstanceStep {
  if (type === InstanceCommandType.ROLLBACK) return InstanceStep.ROLLBACK;
  return UPGRADE_STEPS[Math.min(STEPS_BEHIND.get(status) ?? 0, UPGRADE_STEPS.length - 1)] as InstanceStep;
}

const STEP_WORDS: Readonly<Record<InstanceStep, string>> = {
  [InstanceStep.DRAIN]: 'drain',
  [InstanceStep.UPGRADE]: 'upgrade',
  [InstanceStep.HEALTH_CHECK]: 'health-check',
  [InstanceStep.ROLLBACK]: 'rollback',
};

/** An instance whose command's deadline passed, as the deadline rule reads it. */
export interface OverdueCommand {
  type: InstanceCommandType;
  status: InstanceStatus;
  /** Steps of this command applied so far: none means the command was never answered at all. */
  stepsApplied: number;
  /** 1-based attempt of this command. */
  attempt: number;
}

export type DeadlineStep =
  /** Never answered: issue it again (new command id, new fencing token, attempt + 1). */
  | { kind: 'REISSUE' }
  /** Give up on the instance: FAILED (a ROLLBACK: its rollback failed) with `reason`. */
  | { kind: 'FAIL'; reason: string };

/**
 * A command's deadline passed. A command never answered at all is issued again (its worker died, or
 * the command was lost) until `maxAttempts`; one that answered some steps but not the last is stuck in
 * the middle of the attempt, and a fresh attempt would not know more: the instance fails.
 */
export function onCommandDeadline(
  command: OverdueCommand,
  limits: { maxAttempts: number; deadlineSeconds: number },
): DeadlineStep {
  if (command.stepsApplied === 0) {
    if (command.attempt < limits.maxAttempts) return { kind: 'REISSUE' };
    return { kind: 'FAIL', reason: `no answer to ${command.type} after ${command.attempt} attempt(s)` };
  }
  const step = STEP_WORDS[awaitedStep(command.type, command.status)];
  return { kind: 'FAIL', reason: `no ${step} result within ${limits.deadlineSeconds}s` };
}
