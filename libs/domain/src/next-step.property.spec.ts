import {
  ExecutionStatus,
  InstanceCommandType,
  InstanceStatus,
  UpgradeStrategy,
} from '@upshift/contracts/model';
import fc from 'fast-check';
import { maxUnavailable } from './batch-planner';
import { isTerminal } from './execution-state-machine';
import { IN_FLIGHT_STATUSES, isInstanceSettled, isOutOfService } from './instance-state-machine';
import { decideNext } from './next-step';
import type { DecisionExecution, DecisionInstance } from './next-step';

/**
 * Whatever state the engine is in, the decision keeps the promises of docs/invariants.md. The states
 * are the ones the engine can be in: an in-flight instance holds the command of its status (a
 * ROLLBACK while ROLLING_BACK), an unplanned one is PENDING, and ROLLED_BACK appears only once a
 * rollback began.
 */

const S = ExecutionStatus;
const I = InstanceStatus;
const C = InstanceCommandType;
const NOW = new Date('2026-01-01T12:00:00Z');

const FORWARD_COMMAND: Partial<Record<InstanceStatus, InstanceCommandType>> = {
  [I.DRAINING]: C.UPGRADE,
  [I.UPGRADING]: C.UPGRADE,
  [I.HEALTH_CHECKING]: C.UPGRADE,
};

/**
 * Repeats weigh the draw towards the states where the rollout has something to decide; half the
 * states have no batch in flight (otherwise nearly every state would just wait).
 */
function statusesFor(status: ExecutionStatus, busy: boolean): InstanceStatus[] {
  if (status === S.PENDING || status === S.VALIDATING) return [I.PENDING];
  const forward = [
    ...[I.PENDING, I.PENDING, I.PENDING, I.PENDING],
    ...[I.COMPLETED, I.COMPLETED, I.COMPLETED, I.COMPLETED, I.FAILED],
    ...(busy ? [I.DRAINING, I.UPGRADING, I.HEALTH_CHECKING] : []),
  ];
  return status === S.ROLLING_BACK || isTerminal(status) ? [...forward, I.ROLLED_BACK] : forward;
}

function instanceArbitrary(
  status: ExecutionStatus,
  busy: boolean,
  index: number,
): fc.Arbitrary<DecisionInstance> {
  return fc
    .record({
      status: fc.constantFrom(...statusesFor(status, busy)),
      batch: fc.integer({ min: 1, max: 4 }),
      failedAt: fc.constantFrom(I.DRAINING, I.UPGRADING, I.HEALTH_CHECKING, null),
      reverting: fc.boolean(),
      rollbackFailed: fc.boolean(),
    })
    .map(({ status: instanceStatus, batch, failedAt, reverting, rollbackFailed }) => {
      const inFlight = IN_FLIGHT_STATUSES.includes(instanceStatus);
      let pendingCommandType: InstanceCommandType | null = null;
      if (!isTerminal(status) && inFlight) {
        pendingCommandType =
          status === S.ROLLING_BACK ? C.ROLLBACK : (FORWARD_COMMAND[instanceStatus] ?? null);
      } else if (status === S.ROLLING_BACK && instanceStatus !== I.PENDING && reverting) {
        pendingCommandType = C.ROLLBACK;
      }
      return {
        id: `i${index}`,
        status: instanceStatus,
        batch: instanceStatus === I.PENDING ? null : batch,
        failedAt: instanceStatus === I.FAILED ? failedAt : null,
        pendingCommandType,
        rollbackFailed: status === S.ROLLING_BACK && instanceStatus === I.FAILED && rollbackFailed,
      };
    });
}

const CANARY_STATUSES: readonly ExecutionStatus[] = [S.CANARY_RUNNING, S.CANARY_MONITORING];

/** The planner's phase as `planPhaseAfter` leaves it: CANARY while the canaries run, ROLLOUT once IN_PROGRESS. */
function phasesFor(strategy: UpgradeStrategy, status: ExecutionStatus): DecisionExecution['phase'][] {
  if (strategy !== UpgradeStrategy.CANARY || status === S.IN_PROGRESS) return ['ROLLOUT'];
  return status === S.CANARY_RUNNING ? ['CANARY'] : ['CANARY', 'ROLLOUT'];
}

const stateArbitrary = fc
  .record({
    status: fc.constantFrom(
      ...Object.values(ExecutionStatus),
      ...[S.IN_PROGRESS, S.IN_PROGRESS, S.IN_PROGRESS, S.CANARY_RUNNING, S.ROLLING_BACK],
    ),
    strategy: fc.constantFrom(...Object.values(UpgradeStrategy)),
    size: fc.integer({ min: 1, max: 12 }),
    busy: fc.boolean(),
  })
  // Only a CANARY execution runs and monitors canaries.
  .map(({ status, strategy, size, busy }) => ({
    status: strategy !== UpgradeStrategy.CANARY && CANARY_STATUSES.includes(status) ? S.IN_PROGRESS : status,
    strategy,
    size,
    busy,
  }))
  .chain(({ status, strategy, size, busy }) =>
    fc.record({
      execution: fc.record({
        strategy: fc.constant(strategy),
        totalInstances: fc.integer({ min: size, max: size + 2 }),
        batchSize: fc.integer({ min: 1, max: 6 }),
        batchDelaySeconds: fc.constantFrom(0, 30),
        maxUnavailablePercentage: fc.integer({ min: 1, max: 100 }),
        canaryPercentage: fc.integer({ min: 1, max: 100 }),
        phase: fc.constantFrom(...phasesFor(strategy, status)),
        lastBatchCompletedAt: fc.option(
          fc.integer({ min: -60, max: 0 }).map((s) => new Date(NOW.getTime() + s * 1000)),
        ),
        currentBatch: fc.integer({ min: 0, max: 4 }),
        approvedStages: fc.integer({ min: 0, max: 3 }),
        status: fc.constant(status),
        halted: fc.boolean(),
        autoRollbackEnabled: fc.boolean(),
        failureThreshold: fc.integer({ min: 1, max: 5 }),
        /** Failures beyond the FAILED instances: those already rolled back. */
        earlierFailures: fc.integer({ min: 0, max: 1 }),
      }),
      instances: fc.tuple(
        ...Array.from({ length: size }, (_, index) => instanceArbitrary(status, busy, index)),
      ),
    }),
  )
  .map(({ execution: { earlierFailures, ...execution }, instances }) => ({
    execution: {
      ...execution,
      failedInstances: earlierFailures + instances.filter((i) => i.status === I.FAILED).length,
    } satisfies DecisionExecution,
    instances,
  }));

function frozen<T>(value: T): T {
  return JSON.parse(JSON.stringify(value), (_key, v: unknown) =>
    typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v) ? new Date(v) : v,
  ) as T;
}

describe('decideNext (properties)', () => {
  it('never dispatches more than the out-of-service budget allows, nor anything already planned', () => {
    fc.assert(
      fc.property(stateArbitrary, ({ execution, instances }) => {
        const step = decideNext(execution, instances, NOW);
        if (step.kind !== 'DISPATCH_BATCH') return;
        const fleet = Math.min(execution.totalInstances, instances.length);
        const outOfService = instances.filter((i) => isOutOfService(i.status)).length;
        expect(step.instanceIds.length).toBeGreaterThan(0);
        expect(outOfService + step.instanceIds.length).toBeLessThanOrEqual(
          maxUnavailable(fleet, execution.maxUnavailablePercentage),
        );
        for (const id of step.instanceIds) {
          expect(instances.find((i) => i.id === id)).toMatchObject({ status: I.PENDING, batch: null });
        }
      }),
      // About one state in sixteen dispatches: enough runs that the bound is tested a few dozen times.
      { numRuns: 500 },
    );
  });

  it('never dispatches on a terminal, paused or halted execution, nor while one is rolling back', () => {
    fc.assert(
      fc.property(stateArbitrary, ({ execution, instances }) => {
        const step = decideNext(execution, instances, NOW);
        if (
          isTerminal(execution.status) ||
          execution.halted ||
          execution.status === S.PAUSED ||
          execution.status === S.ROLLING_BACK
        ) {
          expect(step.kind).not.toBe('DISPATCH_BATCH');
        }
        if (isTerminal(execution.status))
          expect(step).toEqual({ kind: 'FINISHED', status: execution.status });
      }),
    );
  });

  it('completes only when no instance is being worked on, and COMPLETED only when every one was upgraded', () => {
    fc.assert(
      fc.property(stateArbitrary, ({ execution, instances }) => {
        const step = decideNext(execution, instances, NOW);
        if (step.kind !== 'COMPLETE') return;
        expect(isTerminal(step.status)).toBe(true);
        for (const i of instances) {
          expect(i.pendingCommandType).toBeNull();
          expect(isInstanceSettled(i.status) || i.status === I.PENDING).toBe(true);
        }
        if (step.status === S.COMPLETED) {
          expect(instances.every((i) => i.status === I.COMPLETED)).toBe(true);
        }
      }),
    );
  });

  it('starts a rollback only at the threshold with auto-rollback, or when the rollout is blocked', () => {
    fc.assert(
      fc.property(stateArbitrary, ({ execution, instances }) => {
        const step = decideNext(execution, instances, NOW);
        if (step.kind !== 'START_ROLLBACK') return;
        expect(execution.autoRollbackEnabled).toBe(true);
        const atThreshold = execution.failedInstances >= execution.failureThreshold;
        const blocked = instances.some((i) => i.status === I.FAILED);
        expect(atThreshold || blocked).toBe(true);
        // Every instance a worker is moving forward is in the rollback, so none is left half-upgraded.
        for (const i of instances) {
          if (i.pendingCommandType !== null) expect(step.instanceIds).toContain(i.id);
        }
      }),
    );
  });

  it('is pure: the same state gives the same step and is left as it was', () => {
    fc.assert(
      fc.property(stateArbitrary, ({ execution, instances }) => {
        const before = frozen({ execution, instances });
        const first = decideNext(execution, instances, NOW);
        expect({ execution, instances }).toEqual(before);
        expect(decideNext(frozen(execution), frozen(instances), new Date(NOW.getTime()))).toEqual(first);
      }),
    );
  });
});
