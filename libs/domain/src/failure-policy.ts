import { ExecutionStatus } from '@upshift/contracts/model';
import type { ExecutionEvent } from './execution-state-machine';

/**
 * What an execution does about failed instances (ADR 0003).
 *
 * - Below `failureThreshold`: CONTINUE (each failed instance still uses up unavailability budget).
 * - At or above it with `autoRollbackEnabled`: ROLLBACK (docs/api-contract.md: "reaches or exceeds").
 * - At or above it without: HALT — start no new batch, let the in-flight instances settle, then FAIL.
 *   Nothing is reverted without someone asking for it.
 */

export type FailureDecision = 'CONTINUE' | 'ROLLBACK' | 'HALT';

export interface FailurePolicyInput {
  autoRollbackEnabled: boolean;
  failureThreshold: number;
  currentFailures: number;
}

export function decideOnFailure(input: FailurePolicyInput): FailureDecision {
  if (input.currentFailures < input.failureThreshold) {
    return 'CONTINUE';
  }
  return input.autoRollbackEnabled ? 'ROLLBACK' : 'HALT';
}

/**
 * The planner said BLOCKED: failed instances hold the whole unavailability budget (or BLUE_GREEN lost a
 * green instance), so the rollout cannot go on whatever the threshold says. Same outcome as reaching
 * the threshold.
 */
export function decideOnBlocked(autoRollbackEnabled: boolean): Exclude<FailureDecision, 'CONTINUE'> {
  return autoRollbackEnabled ? 'ROLLBACK' : 'HALT';
}

export type CanaryHealthDecision = 'KEEP_MONITORING' | 'ROLLBACK';

/**
 * CANARY_MONITORING (docs/api-contract.md, "Canary"): failing canaries with auto-rollback enabled
 * roll back on their own. Without auto-rollback an unhealthy canary is reported and the operator
 * chooses /rollback, /cancel or /promote-canary.
 */
export function decideOnCanaryHealth(input: {
  autoRollbackEnabled: boolean;
  unhealthy: number;
}): CanaryHealthDecision {
  return input.unhealthy > 0 && input.autoRollbackEnabled ? 'ROLLBACK' : 'KEEP_MONITORING';
}

/**
 * Every instance settled. COMPLETED means "every instance upgraded" (docs/api-contract.md), so an
 * execution that tolerated failures below the threshold ends FAILED, naming them.
 */
export function completionEvent(result: { completed: number; failed: number }): ExecutionEvent {
  return result.failed === 0 ? 'ALL_INSTANCES_DONE' : 'FAIL';
}

const S = ExecutionStatus;

/**
 * How the system reaches ROLLING_BACK from each status, using only moves of the status table
 * (docs/api-contract.md, ADR 0001). The table has no CANARY_RUNNING → ROLLING_BACK nor PAUSED →
 * ROLLING_BACK, so those go through CANARY_MONITORING and IN_PROGRESS, in one transaction, each step
 * recorded as a status change.
 */
export const ROUTES_TO_ROLLING_BACK: ReadonlyMap<ExecutionStatus, readonly ExecutionEvent[]> = new Map<
  ExecutionStatus,
  readonly ExecutionEvent[]
>([
  [S.IN_PROGRESS, ['ROLLBACK']],
  [S.CANARY_MONITORING, ['ROLLBACK']],
  [S.CANARY_RUNNING, ['CANARY_DEPLOYED', 'ROLLBACK']],
  [S.PAUSED, ['RESUME', 'ROLLBACK']],
]);

/**
 * How the system reaches FAILED once a HALT's in-flight instances have settled. CANARY_MONITORING has
 * no route: its canaries settled before it began, so a HALT never starts there.
 */
export const ROUTES_TO_FAILED: ReadonlyMap<ExecutionStatus, readonly ExecutionEvent[]> = new Map<
  ExecutionStatus,
  readonly ExecutionEvent[]
>([
  [S.VALIDATING, ['CHECKS_FAILED']],
  [S.IN_PROGRESS, ['FAIL']],
  [S.CANARY_RUNNING, ['FAIL']],
  [S.PAUSED, ['RESUME', 'FAIL']],
  [S.ROLLING_BACK, ['ROLLBACK_FAILED']],
]);

/** Events that take `status` to ROLLING_BACK, or null when the system cannot start a rollback from it. */
export function rollbackRoute(status: ExecutionStatus): readonly ExecutionEvent[] | null {
  return ROUTES_TO_ROLLING_BACK.get(status) ?? null;
}

/** Events that take `status` to FAILED, or null when failing from it is not the system's call. */
export function failRoute(status: ExecutionStatus): readonly ExecutionEvent[] | null {
  return ROUTES_TO_FAILED.get(status) ?? null;
}

/**
 * The rollback has no outstanding command left: ROLLED_BACK when every instance that needed reverting
 * was reverted, FAILED when any revert failed (the fleet is in a mixed state and needs a person).
 */
export function rollbackOutcomeEvent(result: { rolledBack: number; failed: number }): ExecutionEvent {
  return result.failed === 0 ? 'ROLLBACK_SUCCEEDED' : 'ROLLBACK_FAILED';
}
