import { ExecutionStatus } from '@upshift/contracts/model';
import { transitionExecutionThrough } from './execution-state-machine';
import {
  ROUTES_TO_FAILED,
  ROUTES_TO_ROLLING_BACK,
  completionEvent,
  decideOnBlocked,
  decideOnCanaryHealth,
  decideOnFailure,
  failRoute,
  rollbackOutcomeEvent,
  rollbackRoute,
} from './failure-policy';
import type { FailureDecision } from './failure-policy';

const S = ExecutionStatus;

describe('failure policy', () => {
  it.each<[string, boolean, number, number, FailureDecision]>([
    ['continues below the threshold with auto-rollback', true, 3, 2, 'CONTINUE'],
    ['continues below the threshold without auto-rollback', false, 3, 2, 'CONTINUE'],
    ['continues with no failure at all', true, 1, 0, 'CONTINUE'],
    ['rolls back when failures reach the threshold and auto-rollback is on', true, 3, 3, 'ROLLBACK'],
    ['rolls back when failures exceed the threshold and auto-rollback is on', true, 3, 5, 'ROLLBACK'],
    ['rolls back at the first failure with threshold 1', true, 1, 1, 'ROLLBACK'],
    ['halts at the threshold without auto-rollback', false, 3, 3, 'HALT'],
    ['halts above the threshold without auto-rollback', false, 3, 4, 'HALT'],
  ])('%s', (_rule, autoRollbackEnabled, failureThreshold, currentFailures, expected) => {
    expect(decideOnFailure({ autoRollbackEnabled, failureThreshold, currentFailures })).toBe(expected);
  });

  it.each([
    ['a blocked rollout rolls back when auto-rollback is on', true, 'ROLLBACK'],
    ['a blocked rollout halts when auto-rollback is off', false, 'HALT'],
  ])('%s', (_rule, auto, expected) => {
    expect(decideOnBlocked(auto)).toBe(expected);
  });

  it.each([
    ['unhealthy canaries roll back with auto-rollback', true, 1, 'ROLLBACK'],
    ['unhealthy canaries are left to the operator without auto-rollback', false, 2, 'KEEP_MONITORING'],
    ['healthy canaries keep being monitored', true, 0, 'KEEP_MONITORING'],
  ])('%s', (_rule, autoRollbackEnabled, unhealthy, expected) => {
    expect(decideOnCanaryHealth({ autoRollbackEnabled, unhealthy })).toBe(expected);
  });

  it.each([
    ['an execution with no failed instance completes', 10, 0, 'ALL_INSTANCES_DONE'],
    ['an execution that tolerated failures ends failed', 8, 2, 'FAIL'],
  ])('%s', (_rule, completed, failed, expected) => {
    expect(completionEvent({ completed, failed })).toBe(expected);
  });

  it.each([
    ['a rollback where every revert succeeded ends rolled back', 3, 0, 'ROLLBACK_SUCCEEDED'],
    ['a rollback with a failed revert ends failed', 2, 1, 'ROLLBACK_FAILED'],
  ])('%s', (_rule, rolledBack, failed, expected) => {
    expect(rollbackOutcomeEvent({ rolledBack, failed })).toBe(expected);
  });

  describe('routes the system takes through the status table', () => {
    it.each([...ROUTES_TO_ROLLING_BACK.entries()])('from %s, %j reaches ROLLING_BACK', (from, events) => {
      expect(transitionExecutionThrough(from, events)).toEqual({ ok: true, to: S.ROLLING_BACK });
    });

    it.each([...ROUTES_TO_FAILED.entries()])('from %s, %j reaches FAILED', (from, events) => {
      expect(transitionExecutionThrough(from, events)).toEqual({ ok: true, to: S.FAILED });
    });

    it.each([
      [
        'a canary run reaches ROLLING_BACK through monitoring',
        S.CANARY_RUNNING,
        ['CANARY_DEPLOYED', 'ROLLBACK'],
      ],
      ['a paused execution reaches ROLLING_BACK through in progress', S.PAUSED, ['RESUME', 'ROLLBACK']],
      ['a pending execution has nothing to roll back', S.PENDING, null],
      ['a rollback does not start twice', S.ROLLING_BACK, null],
      ['a terminal execution is never rolled back', S.COMPLETED, null],
    ])('%s', (_rule, from, expected) => {
      expect(rollbackRoute(from)).toEqual(expected);
    });

    it.each([
      ['a paused execution fails through in progress', S.PAUSED, ['RESUME', 'FAIL']],
      ['monitoring is never failed by the system: its canaries already settled', S.CANARY_MONITORING, null],
      ['a terminal execution does not fail again', S.CANCELLED, null],
    ])('%s', (_rule, from, expected) => {
      expect(failRoute(from)).toEqual(expected);
    });
  });
});
