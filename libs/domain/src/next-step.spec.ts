import {
  ExecutionStatus,
  InstanceCommandType,
  InstanceStatus,
  UpgradeStrategy,
} from '@upshift/contracts/model';
import {
  decideNext,
  failureStep,
  hasForwardCommand,
  rollbackTargets,
  settledBatch,
  startRollback,
} from './next-step';
import type { DecisionExecution, DecisionInstance, NextStep } from './next-step';

const S = ExecutionStatus;
const I = InstanceStatus;
const C = InstanceCommandType;
const NOW = new Date('2026-01-01T12:00:00Z');

/** The command a worker holds for an instance in each in-flight status: one UPGRADE for the whole attempt. */
const COMMAND_OF: Partial<Record<InstanceStatus, InstanceCommandType>> = {
  [I.DRAINING]: C.UPGRADE,
  [I.UPGRADING]: C.UPGRADE,
  [I.HEALTH_CHECKING]: C.UPGRADE,
};

function execution(fields: Partial<DecisionExecution> = {}): DecisionExecution {
  return {
    strategy: UpgradeStrategy.ROLLING,
    totalInstances: 4,
    batchSize: 2,
    batchDelaySeconds: 0,
    maxUnavailablePercentage: 50,
    canaryPercentage: 25,
    phase: 'ROLLOUT',
    lastBatchCompletedAt: null,
    currentBatch: 0,
    approvedStages: 0,
    status: S.IN_PROGRESS,
    halted: false,
    autoRollbackEnabled: true,
    failureThreshold: 2,
    failedInstances: 0,
    ...fields,
  };
}

/**
 * A fleet named i0, i1, …: PENDING instances are unplanned, the others are in batch 1 and hold the
 * command of their status; `FAILED@X` failed while X.
 */
function fleet(...statuses: string[]): DecisionInstance[] {
  return statuses.map((spec, index) => {
    const [status, failedAt] = spec.split('@') as [InstanceStatus, InstanceStatus | undefined];
    return {
      id: `i${index}`,
      status,
      batch: status === I.PENDING ? null : 1,
      failedAt: failedAt ?? null,
      pendingCommandType: COMMAND_OF[status] ?? null,
      rollbackFailed: false,
    };
  });
}

/** ROLLING_BACK's fleet: every instance that is being reverted holds a ROLLBACK command. */
function reverting(instances: DecisionInstance[], ids: string[]): DecisionInstance[] {
  return instances.map((i) => (ids.includes(i.id) ? { ...i, pendingCommandType: C.ROLLBACK } : i));
}

const THRESHOLD_REASON = '2 instance failure(s) reached the failure threshold of 2';

describe('decideNext: one rule per row', () => {
  it.each<[string, DecisionExecution, DecisionInstance[], Partial<NextStep>]>([
    // Statuses where nothing is the engine's to do.
    [
      'a terminal execution is finished',
      execution({ status: S.COMPLETED }),
      fleet('COMPLETED', 'COMPLETED'),
      { kind: 'FINISHED', status: S.COMPLETED },
    ],
    [
      'PENDING → wait for /start',
      execution({ status: S.PENDING }),
      fleet('PENDING'),
      { kind: 'WAIT', for: 'START' },
    ],
    [
      'VALIDATING → wait for the pre-upgrade checks',
      execution({ status: S.VALIDATING }),
      fleet('PENDING'),
      { kind: 'WAIT', for: 'VALIDATION' },
    ],
    [
      'paused → wait',
      execution({ status: S.PAUSED }),
      fleet('COMPLETED', 'PENDING'),
      { kind: 'WAIT', for: 'PAUSED' },
    ],
    [
      'CANARY_MONITORING → wait for the monitor or an operator',
      execution({ status: S.CANARY_MONITORING, strategy: UpgradeStrategy.CANARY }),
      fleet('COMPLETED', 'PENDING', 'PENDING', 'PENDING'),
      { kind: 'WAIT', for: 'CANARY_MONITORING' },
    ],

    // The rollout.
    [
      'nothing in flight and instances left → dispatch the next batch, capped by the out-of-service budget',
      execution({ batchSize: 3, maxUnavailablePercentage: 50 }),
      fleet('PENDING', 'PENDING', 'PENDING', 'PENDING'),
      { kind: 'DISPATCH_BATCH', batch: 1, phase: 'ROLLOUT', instanceIds: ['i0', 'i1'] },
    ],
    [
      'an instance in flight → wait for the instances',
      execution({ currentBatch: 1 }),
      fleet('COMPLETED', 'UPGRADING', 'PENDING', 'PENDING'),
      { kind: 'WAIT', for: 'INSTANCES' },
    ],
    [
      'the batch delay is not over → wait until it ends',
      execution({
        currentBatch: 1,
        batchDelaySeconds: 30,
        lastBatchCompletedAt: new Date(NOW.getTime() - 10_000),
      }),
      fleet('COMPLETED', 'COMPLETED', 'PENDING', 'PENDING'),
      { kind: 'WAIT', for: 'BATCH_DELAY', until: new Date(NOW.getTime() + 20_000) },
    ],
    [
      'a failure below the threshold → the rollout goes on',
      execution({ currentBatch: 1, failedInstances: 1, maxUnavailablePercentage: 100 }),
      fleet('COMPLETED', 'FAILED@UPGRADING', 'PENDING', 'PENDING'),
      { kind: 'DISPATCH_BATCH', batch: 2, instanceIds: ['i2', 'i3'] },
    ],
    [
      'all instances settled with no failures → complete COMPLETED',
      execution({ currentBatch: 2 }),
      fleet('COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED'),
      {
        kind: 'COMPLETE',
        status: S.COMPLETED,
        route: ['ALL_INSTANCES_DONE'],
        reason: 'all 4 instance(s) upgraded',
        rollback: null,
      },
    ],
    [
      'all instances settled with failures below the threshold → complete FAILED, naming them',
      execution({ currentBatch: 2, failedInstances: 1, maxUnavailablePercentage: 100 }),
      fleet('COMPLETED', 'COMPLETED', 'COMPLETED', 'FAILED@UPGRADING'),
      { kind: 'COMPLETE', status: S.FAILED, route: ['FAIL'], reason: '3 instance(s) upgraded, 1 failed' },
    ],
    [
      'CANARY: the canaries are upgraded → monitor them',
      execution({
        strategy: UpgradeStrategy.CANARY,
        status: S.CANARY_RUNNING,
        phase: 'CANARY',
        currentBatch: 1,
      }),
      fleet('COMPLETED', 'PENDING', 'PENDING', 'PENDING'),
      { kind: 'MONITOR_CANARIES', event: 'CANARY_DEPLOYED' },
    ],
    [
      'CANARY: the canary batch is dispatched in the CANARY phase',
      execution({ strategy: UpgradeStrategy.CANARY, status: S.CANARY_RUNNING, phase: 'CANARY' }),
      fleet('PENDING', 'PENDING', 'PENDING', 'PENDING'),
      { kind: 'DISPATCH_BATCH', batch: 1, phase: 'CANARY', instanceIds: ['i0'] },
    ],
    [
      'STAGED: a stage finished → wait for an operator to approve the next one',
      execution({ strategy: UpgradeStrategy.STAGED, currentBatch: 2 }),
      fleet('COMPLETED', 'COMPLETED', 'PENDING', 'PENDING'),
      { kind: 'AWAIT_APPROVAL', stage: 1, event: 'PAUSE' },
    ],

    // The failure policy (ADR 0003).
    [
      'a failure at the threshold with auto-rollback → start rollback of every upgraded or health-checking instance',
      execution({ currentBatch: 2, failedInstances: 2, maxUnavailablePercentage: 100 }),
      fleet('COMPLETED', 'HEALTH_CHECKING', 'FAILED@UPGRADING', 'FAILED@DRAINING', 'PENDING'),
      {
        kind: 'START_ROLLBACK',
        route: ['ROLLBACK'],
        instanceIds: ['i0', 'i1', 'i2'],
        reason: THRESHOLD_REASON,
      },
    ],
    [
      '… and of every instance a forward command is still working on (its ROLLBACK supersedes it)',
      execution({ currentBatch: 1, failedInstances: 2, maxUnavailablePercentage: 100 }),
      fleet('FAILED@HEALTH_CHECKING', 'FAILED@UPGRADING', 'DRAINING', 'PENDING'),
      { kind: 'START_ROLLBACK', instanceIds: ['i0', 'i1', 'i2'] },
    ],
    [
      'a failure at the threshold while CANARY_RUNNING → roll back through CANARY_MONITORING',
      execution({
        strategy: UpgradeStrategy.CANARY,
        status: S.CANARY_RUNNING,
        phase: 'CANARY',
        failedInstances: 2,
      }),
      fleet('FAILED@UPGRADING', 'FAILED@UPGRADING', 'PENDING', 'PENDING'),
      { kind: 'START_ROLLBACK', route: ['CANARY_DEPLOYED', 'ROLLBACK'] },
    ],
    [
      'a failure at the threshold while PAUSED → roll back through IN_PROGRESS',
      execution({ status: S.PAUSED, failedInstances: 2 }),
      fleet('FAILED@UPGRADING', 'FAILED@UPGRADING', 'PENDING', 'PENDING'),
      { kind: 'START_ROLLBACK', route: ['RESUME', 'ROLLBACK'] },
    ],
    [
      'a failure at the threshold without auto-rollback → halt',
      execution({ autoRollbackEnabled: false, failedInstances: 2, maxUnavailablePercentage: 100 }),
      fleet('FAILED@UPGRADING', 'FAILED@UPGRADING', 'UPGRADING', 'PENDING'),
      { kind: 'HALT', reason: THRESHOLD_REASON },
    ],
    [
      'halted with an instance still in flight → wait for it, dispatch nothing',
      execution({
        autoRollbackEnabled: false,
        halted: true,
        failedInstances: 2,
        maxUnavailablePercentage: 100,
      }),
      fleet('FAILED@UPGRADING', 'FAILED@UPGRADING', 'UPGRADING', 'PENDING'),
      { kind: 'WAIT', for: 'INSTANCES' },
    ],
    [
      'halted with nothing in flight → complete FAILED, leaving the rest on the old version',
      execution({
        autoRollbackEnabled: false,
        halted: true,
        failedInstances: 2,
        maxUnavailablePercentage: 100,
      }),
      fleet('FAILED@UPGRADING', 'FAILED@UPGRADING', 'COMPLETED', 'PENDING'),
      { kind: 'COMPLETE', status: S.FAILED, route: ['FAIL'], reason: THRESHOLD_REASON },
    ],
    [
      'halted while PAUSED with nothing in flight → FAILED through IN_PROGRESS',
      execution({ status: S.PAUSED, autoRollbackEnabled: false, halted: true, failedInstances: 2 }),
      fleet('FAILED@UPGRADING', 'FAILED@UPGRADING', 'PENDING', 'PENDING'),
      { kind: 'COMPLETE', status: S.FAILED, route: ['RESUME', 'FAIL'] },
    ],
    [
      'halted by a dead-lettered result below the threshold → FAILED once nothing is in flight',
      execution({ halted: true, currentBatch: 1 }),
      fleet('COMPLETED', 'COMPLETED', 'PENDING', 'PENDING'),
      { kind: 'COMPLETE', status: S.FAILED, route: ['FAIL'] },
    ],
    [
      'failed instances hold the whole out-of-service budget, auto-rollback → start rollback',
      execution({ maxUnavailablePercentage: 25, failureThreshold: 3, failedInstances: 1, currentBatch: 1 }),
      fleet('FAILED@UPGRADING', 'PENDING', 'PENDING', 'PENDING'),
      { kind: 'START_ROLLBACK', route: ['ROLLBACK'], instanceIds: ['i0'] },
    ],
    [
      'failed instances hold the whole out-of-service budget, no auto-rollback → complete FAILED',
      execution({
        maxUnavailablePercentage: 25,
        failureThreshold: 3,
        failedInstances: 1,
        currentBatch: 1,
        autoRollbackEnabled: false,
      }),
      fleet('FAILED@UPGRADING', 'PENDING', 'PENDING', 'PENDING'),
      { kind: 'COMPLETE', status: S.FAILED, route: ['FAIL'] },
    ],
    [
      'BLUE_GREEN: one failed green instance → start rollback (zero tolerance)',
      execution({
        strategy: UpgradeStrategy.BLUE_GREEN,
        failureThreshold: 3,
        failedInstances: 1,
        currentBatch: 1,
        maxUnavailablePercentage: 100,
      }),
      fleet('COMPLETED', 'FAILED@HEALTH_CHECKING', 'PENDING', 'PENDING'),
      { kind: 'START_ROLLBACK', instanceIds: ['i0', 'i1'] },
    ],

    // The rollback.
    [
      'ROLLING_BACK with ROLLBACK commands out → wait for them',
      execution({ status: S.ROLLING_BACK, failedInstances: 2 }),
      reverting(fleet('ROLLED_BACK', 'FAILED@UPGRADING', 'PENDING'), ['i1']),
      { kind: 'WAIT', for: 'ROLLBACK_COMMANDS' },
    ],
    [
      'ROLLING_BACK, every revert done → complete ROLLED_BACK',
      execution({ status: S.ROLLING_BACK, failedInstances: 2 }),
      fleet('ROLLED_BACK', 'ROLLED_BACK', 'PENDING'),
      {
        kind: 'COMPLETE',
        status: S.ROLLED_BACK,
        route: ['ROLLBACK_SUCCEEDED'],
        reason: '2 instance(s) rolled back',
        rollback: { rolledBack: ['i0', 'i1'], failed: [] },
      },
    ],
  ])('%s', (_rule, given, instances, expected) => {
    expect(decideNext(given, instances, NOW)).toMatchObject(expected);
  });

  it('ROLLING_BACK, a revert failed → complete FAILED, naming the instance', () => {
    const instances = fleet('ROLLED_BACK', 'FAILED@UPGRADING', 'PENDING');
    instances[1] = { ...instances[1], rollbackFailed: true };
    expect(decideNext(execution({ status: S.ROLLING_BACK }), instances, NOW)).toEqual({
      kind: 'COMPLETE',
      status: S.FAILED,
      route: ['ROLLBACK_FAILED'],
      reason: 'rollback failed on 1 instance(s)',
      rollback: { rolledBack: ['i0'], failed: ['i1'] },
    });
  });
});

describe('failureStep: what the engine does the moment an instance fails', () => {
  it.each<[string, DecisionExecution, NextStep['kind'] | null]>([
    ['below the threshold → nothing', execution({ failedInstances: 1 }), null],
    ['at the threshold with auto-rollback → rollback', execution({ failedInstances: 2 }), 'START_ROLLBACK'],
    [
      'above the threshold with auto-rollback → rollback',
      execution({ failedInstances: 3 }),
      'START_ROLLBACK',
    ],
    [
      'at the threshold without auto-rollback → halt',
      execution({ failedInstances: 2, autoRollbackEnabled: false }),
      'HALT',
    ],
    [
      'a halt already recorded → nothing more',
      execution({ failedInstances: 3, autoRollbackEnabled: false, halted: true }),
      null,
    ],
    ['already ROLLING_BACK → nothing', execution({ status: S.ROLLING_BACK, failedInstances: 2 }), null],
    ['terminal → nothing', execution({ status: S.FAILED, failedInstances: 2 }), null],
    [
      'no route to ROLLING_BACK (VALIDATING) → nothing',
      execution({ status: S.VALIDATING, failedInstances: 2 }),
      null,
    ],
  ])('%s', (_rule, given, expected) => {
    expect(failureStep(given, fleet('FAILED@UPGRADING', 'FAILED@UPGRADING', 'PENDING'))?.kind ?? null).toBe(
      expected,
    );
  });
});

describe('the rules the engine used to repeat', () => {
  it('a batch has settled only when every instance of it has', () => {
    const instances = fleet('COMPLETED', 'FAILED@UPGRADING', 'HEALTH_CHECKING', 'PENDING');
    expect(settledBatch(instances, 1)).toBeNull();
    instances[2] = { ...instances[2], status: I.ROLLED_BACK };
    expect(settledBatch(instances, 1)).toEqual({ completed: 1, failed: 1 });
  });

  it('the forward command is the one UPGRADE of an attempt, not ROLLBACK', () => {
    expect(
      [C.UPGRADE, C.ROLLBACK, null].map((type) => hasForwardCommand({ pendingCommandType: type })),
    ).toEqual([true, false, false]);
  });

  it('a rollback leaves alone what never got the new version', () => {
    const instances = fleet('PENDING', 'FAILED@DRAINING', 'FAILED', 'COMPLETED', 'ROLLED_BACK');
    expect(rollbackTargets(instances).map((i) => i.id)).toEqual(['i2', 'i3']);
  });

  it('no rollback starts where the status table has no way to ROLLING_BACK', () => {
    expect(startRollback(S.COMPLETED, fleet('COMPLETED'), 'late')).toBeNull();
    expect(startRollback(S.VALIDATING, fleet('PENDING'), 'early')).toBeNull();
  });
});
