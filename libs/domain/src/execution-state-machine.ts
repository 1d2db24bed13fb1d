import { ExecutionStatus } from '@upshift/contracts/model';

/**
 * The execution lifecycle of docs/api-contract.md, as data. `EXECUTION_TRANSITIONS` is its "moves to" column
 * copied verbatim; `EXECUTION_EVENTS` names what causes each of those moves. A test proves the two
 * describe the same graph, so neither can drift from the contract on its own.
 *
 * The contract's first statement said cancel is valid "from any non-terminal status"; its table does
 * not allow VALIDATING → CANCELLED nor ROLLING_BACK → CANCELLED. The table wins (ADR 0001).
 */

const S = ExecutionStatus;

export const EXECUTION_TRANSITIONS: ReadonlyMap<ExecutionStatus, readonly ExecutionStatus[]> = new Map<
  ExecutionStatus,
  readonly ExecutionStatus[]
>([
  [S.PENDING, [S.VALIDATING, S.CANCELLED]],
  [S.VALIDATING, [S.IN_PROGRESS, S.CANARY_RUNNING, S.FAILED]],
  [S.IN_PROGRESS, [S.PAUSED, S.COMPLETED, S.FAILED, S.ROLLING_BACK, S.CANCELLED]],
  [S.CANARY_RUNNING, [S.CANARY_MONITORING, S.PAUSED, S.FAILED, S.CANCELLED]],
  [S.CANARY_MONITORING, [S.IN_PROGRESS, S.ROLLING_BACK, S.CANCELLED]],
  [S.PAUSED, [S.IN_PROGRESS, S.CANCELLED]],
  [S.ROLLING_BACK, [S.ROLLED_BACK, S.FAILED]],
  [S.ROLLED_BACK, []],
  [S.COMPLETED, []],
  [S.FAILED, []],
  [S.CANCELLED, []],
]);

export type ExecutionEvent =
  | 'START'
  | 'CHECKS_PASSED'
  | 'CHECKS_PASSED_CANARY'
  | 'CHECKS_FAILED'
  | 'CANARY_DEPLOYED'
  | 'PROMOTE'
  | 'PAUSE'
  | 'RESUME'
  | 'CANCEL'
  | 'ALL_INSTANCES_DONE'
  | 'FAIL'
  | 'ROLLBACK'
  | 'ROLLBACK_SUCCEEDED'
  | 'ROLLBACK_FAILED';

export const ALL_EXECUTION_EVENTS: readonly ExecutionEvent[] = [
  'START',
  'CHECKS_PASSED',
  'CHECKS_PASSED_CANARY',
  'CHECKS_FAILED',
  'CANARY_DEPLOYED',
  'PROMOTE',
  'PAUSE',
  'RESUME',
  'CANCEL',
  'ALL_INSTANCES_DONE',
  'FAIL',
  'ROLLBACK',
  'ROLLBACK_SUCCEEDED',
  'ROLLBACK_FAILED',
];

export interface ExecutionEventEdge {
  readonly from: ExecutionStatus;
  readonly event: ExecutionEvent;
  readonly to: ExecutionStatus;
}

/** Every move of the table, with the one event that causes it (the contract's wording in comments). */
export const EXECUTION_EVENTS: readonly ExecutionEventEdge[] = [
  { from: S.PENDING, event: 'START', to: S.VALIDATING }, // POST /start
  { from: S.PENDING, event: 'CANCEL', to: S.CANCELLED },
  { from: S.VALIDATING, event: 'CHECKS_PASSED', to: S.IN_PROGRESS }, // "otherwise, a rolling upgrade starts"
  { from: S.VALIDATING, event: 'CHECKS_PASSED_CANARY', to: S.CANARY_RUNNING }, // strategy CANARY
  { from: S.VALIDATING, event: 'CHECKS_FAILED', to: S.FAILED },
  { from: S.IN_PROGRESS, event: 'PAUSE', to: S.PAUSED },
  { from: S.IN_PROGRESS, event: 'ALL_INSTANCES_DONE', to: S.COMPLETED },
  { from: S.IN_PROGRESS, event: 'FAIL', to: S.FAILED },
  { from: S.IN_PROGRESS, event: 'ROLLBACK', to: S.ROLLING_BACK },
  { from: S.IN_PROGRESS, event: 'CANCEL', to: S.CANCELLED },
  { from: S.CANARY_RUNNING, event: 'CANARY_DEPLOYED', to: S.CANARY_MONITORING },
  { from: S.CANARY_RUNNING, event: 'PAUSE', to: S.PAUSED },
  { from: S.CANARY_RUNNING, event: 'FAIL', to: S.FAILED },
  { from: S.CANARY_RUNNING, event: 'CANCEL', to: S.CANCELLED },
  { from: S.CANARY_MONITORING, event: 'PROMOTE', to: S.IN_PROGRESS }, // POST /promote-canary
  { from: S.CANARY_MONITORING, event: 'ROLLBACK', to: S.ROLLING_BACK },
  { from: S.CANARY_MONITORING, event: 'CANCEL', to: S.CANCELLED },
  { from: S.PAUSED, event: 'RESUME', to: S.IN_PROGRESS }, // POST /resume
  { from: S.PAUSED, event: 'CANCEL', to: S.CANCELLED },
  { from: S.ROLLING_BACK, event: 'ROLLBACK_SUCCEEDED', to: S.ROLLED_BACK },
  { from: S.ROLLING_BACK, event: 'ROLLBACK_FAILED', to: S.FAILED },
];

/** What an operator can ask for over REST; each maps to exactly one event. */
export type ExecutionOperation = 'start' | 'promote-canary' | 'pause' | 'resume' | 'cancel' | 'rollback';

export const ALL_EXECUTION_OPERATIONS: readonly ExecutionOperation[] = [
  'start',
  'promote-canary',
  'pause',
  'resume',
  'cancel',
  'rollback',
];

const OPERATION_EVENTS: Readonly<Record<ExecutionOperation, ExecutionEvent>> = {
  start: 'START',
  'promote-canary': 'PROMOTE',
  pause: 'PAUSE',
  resume: 'RESUME',
  cancel: 'CANCEL',
  rollback: 'ROLLBACK',
};

export function operationEvent(operation: ExecutionOperation): ExecutionEvent {
  return OPERATION_EVENTS[operation];
}

/**
 * The refusal of a move the table does not allow. The HTTP layer maps it to 409 and echoes
 * `allowedOperations`, so the caller learns what it can do instead.
 */
export class InvalidTransitionError extends Error {
  override readonly name = 'InvalidTransitionError';

  constructor(
    readonly from: ExecutionStatus,
    readonly event: ExecutionEvent,
    readonly allowedEvents: readonly ExecutionEvent[],
    readonly allowedOperations: readonly ExecutionOperation[],
  ) {
    super(
      `Cannot apply ${event} to an execution that is ${from}. ` +
        (allowedOperations.length > 0
          ? `Allowed operations now: ${allowedOperations.join(', ')}.`
          : isTerminal(from)
            ? `${from} is terminal: no operation applies; start a new execution instead.`
            : `No operation applies now; wait for the execution to leave ${from}.`),
    );
  }
}

export type TransitionResult<Status, Err> = { ok: true; to: Status } | { ok: false; error: Err };

export type ExecutionTransitionResult = TransitionResult<ExecutionStatus, InvalidTransitionError>;

export function allowedEvents(from: ExecutionStatus): ExecutionEvent[] {
  return EXECUTION_EVENTS.filter((edge) => edge.from === from).map((edge) => edge.event);
}

export function allowedOperations(status: ExecutionStatus): ExecutionOperation[] {
  const events = allowedEvents(status);
  return ALL_EXECUTION_OPERATIONS.filter((operation) => events.includes(OPERATION_EVENTS[operation]));
}

export function transitionExecution(from: ExecutionStatus, event: ExecutionEvent): ExecutionTransitionResult {
  const edge = EXECUTION_EVENTS.find((candidate) => candidate.from === from && candidate.event === event);
  if (edge) {
    return { ok: true, to: edge.to };
  }
  return {
    ok: false,
    error: new InvalidTransitionError(from, event, allowedEvents(from), allowedOperations(from)),
  };
}

/** Applies an operator's operation; same result shape as `transitionExecution`. */
export function applyOperation(
  from: ExecutionStatus,
  operation: ExecutionOperation,
): ExecutionTransitionResult {
  return transitionExecution(from, OPERATION_EVENTS[operation]);
}

/** Applies events in order, stopping at the first refusal. */
export function transitionExecutionThrough(
  from: ExecutionStatus,
  events: readonly ExecutionEvent[],
): ExecutionTransitionResult {
  let current = from;
  for (const event of events) {
    const result = transitionExecution(current, event);
    if (!result.ok) {
      return result;
    }
    current = result.to;
  }
  return { ok: true, to: current };
}

/** Whether the status table (ADR 0001) allows `from → to` at all (whatever the event). */
export function canTransitionExecution(from: ExecutionStatus, to: ExecutionStatus): boolean {
  return (EXECUTION_TRANSITIONS.get(from) ?? []).includes(to);
}

export function isTerminal(status: ExecutionStatus): boolean {
  return (EXECUTION_TRANSITIONS.get(status) ?? []).length === 0;
}

export const TERMINAL_STATUSES: readonly ExecutionStatus[] =
  Object.values(ExecutionStatus).filter(isTerminal);

/** Non-terminal statuses: an execution in one of them blocks another for the same tenant and component. */
export const ACTIVE_STATUSES: readonly ExecutionStatus[] = Object.values(ExecutionStatus).filter(
  (status) => !isTerminal(status),
);
