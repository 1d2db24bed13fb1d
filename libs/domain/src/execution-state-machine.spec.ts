import { ExecutionStatus } from '@upshift/contracts/model';
import {
  ACTIVE_STATUSES,
  ALL_EXECUTION_EVENTS,
  ALL_EXECUTION_OPERATIONS,
  EXECUTION_EVENTS,
  EXECUTION_TRANSITIONS,
  InvalidTransitionError,
  TERMINAL_STATUSES,
  allowedOperations,
  applyOperation,
  canTransitionExecution,
  isTerminal,
  operationEvent,
  transitionExecution,
  transitionExecutionThrough,
} from './execution-state-machine';
import type { ExecutionEvent, ExecutionOperation } from './execution-state-machine';

const S = ExecutionStatus;
const ALL_STATUSES = Object.values(ExecutionStatus);

/** docs/api-contract.md "Execution statuses and transitions", typed in again by hand from that page. */
const CONTRACT_TABLE: Record<ExecutionStatus, ExecutionStatus[]> = {
  PENDING: [S.VALIDATING, S.CANCELLED],
  VALIDATING: [S.IN_PROGRESS, S.CANARY_RUNNING, S.FAILED],
  IN_PROGRESS: [S.PAUSED, S.COMPLETED, S.FAILED, S.ROLLING_BACK, S.CANCELLED],
  CANARY_RUNNING: [S.CANARY_MONITORING, S.PAUSED, S.FAILED, S.CANCELLED],
  CANARY_MONITORING: [S.IN_PROGRESS, S.ROLLING_BACK, S.CANCELLED],
  PAUSED: [S.IN_PROGRESS, S.CANCELLED],
  ROLLING_BACK: [S.ROLLED_BACK, S.FAILED],
  ROLLED_BACK: [],
  COMPLETED: [],
  FAILED: [],
  CANCELLED: [],
};

describe('execution state machine', () => {
  it('has the 11 statuses of the contract', () => {
    expect(ALL_STATUSES).toHaveLength(11);
    expect([...EXECUTION_TRANSITIONS.keys()].sort()).toEqual([...ALL_STATUSES].sort());
  });

  describe('all 11 × 11 status pairs', () => {
    const pairs = ALL_STATUSES.flatMap((from) => ALL_STATUSES.map((to) => [from, to] as const));

    it('walks 121 pairs', () => {
      expect(pairs).toHaveLength(121);
    });

    it.each(pairs)('%s → %s is allowed exactly when the contract’s table lists it', (from, to) => {
      const inTable = CONTRACT_TABLE[from].includes(to);
      expect(canTransitionExecution(from, to)).toBe(inTable);
      const events = EXECUTION_EVENTS.filter((edge) => edge.from === from && edge.to === to);
      // Every allowed move has exactly one event causing it; a forbidden one has none.
      expect(events).toHaveLength(inTable ? 1 : 0);
      for (const { event } of events) {
        expect(transitionExecution(from, event)).toEqual({ ok: true, to });
      }
      // No event of any kind leads from → to when the table forbids it.
      const reached = ALL_EXECUTION_EVENTS.map((event) => transitionExecution(from, event))
        .filter((result) => result.ok)
        .map((result) => (result.ok ? result.to : null));
      expect(reached.includes(to)).toBe(inTable);
    });
  });

  it('keeps each status’s allowed statuses in the contract’s order', () => {
    for (const status of ALL_STATUSES) {
      expect(EXECUTION_TRANSITIONS.get(status)).toEqual(CONTRACT_TABLE[status]);
    }
  });

  it.each<[string, ExecutionStatus, ExecutionEvent, ExecutionStatus]>([
    ['start moves a pending execution to validating', S.PENDING, 'START', S.VALIDATING],
    ['passing checks start a rolling upgrade', S.VALIDATING, 'CHECKS_PASSED', S.IN_PROGRESS],
    [
      'passing checks of a canary execution deploy the canaries',
      S.VALIDATING,
      'CHECKS_PASSED_CANARY',
      S.CANARY_RUNNING,
    ],
    ['failing checks fail the execution', S.VALIDATING, 'CHECKS_FAILED', S.FAILED],
    ['settled canaries move to monitoring', S.CANARY_RUNNING, 'CANARY_DEPLOYED', S.CANARY_MONITORING],
    ['promotion rolls the rest out', S.CANARY_MONITORING, 'PROMOTE', S.IN_PROGRESS],
    ['a canary run can be paused', S.CANARY_RUNNING, 'PAUSE', S.PAUSED],
    ['resume always continues in progress', S.PAUSED, 'RESUME', S.IN_PROGRESS],
    ['all instances done completes the execution', S.IN_PROGRESS, 'ALL_INSTANCES_DONE', S.COMPLETED],
    ['a rollback can start from monitoring', S.CANARY_MONITORING, 'ROLLBACK', S.ROLLING_BACK],
    ['a successful rollback ends rolled back', S.ROLLING_BACK, 'ROLLBACK_SUCCEEDED', S.ROLLED_BACK],
    ['a failed rollback ends failed', S.ROLLING_BACK, 'ROLLBACK_FAILED', S.FAILED],
  ])('%s', (_rule, from, event, to) => {
    expect(transitionExecution(from, event)).toEqual({ ok: true, to });
  });

  describe('refusals', () => {
    it('name the status, the event and what is allowed instead', () => {
      const result = transitionExecution(S.PAUSED, 'PROMOTE');
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error).toBeInstanceOf(InvalidTransitionError);
      expect(result.error).toMatchObject({
        from: S.PAUSED,
        event: 'PROMOTE',
        allowedEvents: ['RESUME', 'CANCEL'],
        allowedOperations: ['resume', 'cancel'],
        name: 'InvalidTransitionError',
      });
      expect(result.error.message).toBe(
        'Cannot apply PROMOTE to an execution that is PAUSED. Allowed operations now: resume, cancel.',
      );
    });

    it('say a terminal status accepts nothing', () => {
      const result = transitionExecution(S.COMPLETED, 'CANCEL');
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error.allowedOperations).toEqual([]);
      expect(result.error.message).toContain('COMPLETED is terminal');
    });

    it('tell the caller to wait when only the system can move the execution on', () => {
      const result = transitionExecution(S.ROLLING_BACK, 'CANCEL');
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error.allowedEvents).toEqual(['ROLLBACK_SUCCEEDED', 'ROLLBACK_FAILED']);
      expect(result.error.message).toContain('wait for the execution to leave ROLLING_BACK');
    });
  });

  describe('operations (the contract’s endpoints)', () => {
    it.each<[string, ExecutionStatus, ExecutionOperation[]]>([
      ['a pending execution can be started or cancelled', S.PENDING, ['start', 'cancel']],
      ['validation cannot be cancelled: the table wins over "any non-terminal status"', S.VALIDATING, []],
      [
        'an execution in progress can be paused, cancelled or rolled back',
        S.IN_PROGRESS,
        ['pause', 'cancel', 'rollback'],
      ],
      ['a canary run can be paused or cancelled', S.CANARY_RUNNING, ['pause', 'cancel']],
      [
        'monitored canaries can be promoted, cancelled or rolled back',
        S.CANARY_MONITORING,
        ['promote-canary', 'cancel', 'rollback'],
      ],
      ['a paused execution can be resumed or cancelled', S.PAUSED, ['resume', 'cancel']],
      ['a rollback cannot be cancelled: the table wins', S.ROLLING_BACK, []],
      ['rolled back is terminal', S.ROLLED_BACK, []],
      ['completed is terminal', S.COMPLETED, []],
      ['failed is terminal', S.FAILED, []],
      ['cancelled is terminal', S.CANCELLED, []],
    ])('%s', (_rule, status, operations) => {
      expect(allowedOperations(status)).toEqual(operations);
    });

    it('pause is valid from IN_PROGRESS and CANARY_RUNNING, as the contract lists', () => {
      expect(ALL_STATUSES.filter((status) => allowedOperations(status).includes('pause'))).toEqual([
        S.IN_PROGRESS,
        S.CANARY_RUNNING,
      ]);
    });

    it('resume is valid from PAUSED only, as the contract lists', () => {
      expect(ALL_STATUSES.filter((status) => allowedOperations(status).includes('resume'))).toEqual([
        S.PAUSED,
      ]);
    });

    it('each operation maps to one event and applies through it', () => {
      for (const operation of ALL_EXECUTION_OPERATIONS) {
        for (const status of ALL_STATUSES) {
          expect(applyOperation(status, operation)).toEqual(
            transitionExecution(status, operationEvent(operation)),
          );
        }
      }
      expect(ALL_EXECUTION_OPERATIONS.map(operationEvent)).toEqual([
        'START',
        'PROMOTE',
        'PAUSE',
        'RESUME',
        'CANCEL',
        'ROLLBACK',
      ]);
    });
  });

  describe('terminal and active statuses', () => {
    it('terminal statuses are exactly those without a way out', () => {
      expect(TERMINAL_STATUSES).toEqual([S.ROLLED_BACK, S.COMPLETED, S.FAILED, S.CANCELLED]);
      expect(TERMINAL_STATUSES.every(isTerminal)).toBe(true);
    });

    it('active statuses are the other seven', () => {
      expect(ACTIVE_STATUSES).toEqual([
        S.PENDING,
        S.VALIDATING,
        S.IN_PROGRESS,
        S.CANARY_RUNNING,
        S.CANARY_MONITORING,
        S.PAUSED,
        S.ROLLING_BACK,
      ]);
      expect(ACTIVE_STATUSES.some(isTerminal)).toBe(false);
    });
  });

  describe('transitionExecutionThrough', () => {
    it('applies events in order', () => {
      expect(transitionExecutionThrough(S.PENDING, ['START', 'CHECKS_PASSED', 'PAUSE', 'RESUME'])).toEqual({
        ok: true,
        to: S.IN_PROGRESS,
      });
    });

    it('stops at the first refused event and reports it', () => {
      const result = transitionExecutionThrough(S.PENDING, ['START', 'PROMOTE', 'CHECKS_PASSED']);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error).toMatchObject({ from: S.VALIDATING, event: 'PROMOTE' });
    });
  });
});
