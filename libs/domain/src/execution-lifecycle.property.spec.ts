import { ExecutionStatus, InstanceStatus, UpgradeStrategy } from '@upshift/contracts/model';
import fc from 'fast-check';
import {
  completedStages,
  initialPlanPhase,
  maxUnavailable,
  planNextBatch,
  planPhaseAfter,
} from './batch-planner';
import type { PlanInput, PlannerInstance } from './batch-planner';
import {
  ALL_EXECUTION_OPERATIONS,
  applyOperation,
  isTerminal,
  transitionExecution,
} from './execution-state-machine';
import type { ExecutionEvent } from './execution-state-machine';
import {
  completionEvent,
  decideOnBlocked,
  decideOnCanaryHealth,
  decideOnFailure,
  failRoute,
  rollbackOutcomeEvent,
  rollbackRoute,
} from './failure-policy';
import {
  IN_FLIGHT_STATUSES,
  OUT_OF_SERVICE_STATUSES,
  needsRollback,
  transitionInstance,
} from './instance-state-machine';
import type { InstanceEvent } from './instance-state-machine';

/**
 * A reference driver: what the orchestrator does, written with nothing but the domain's functions, run
 * against random worker results and a random operator who presses any button at any time. Whatever
 * happens, every move it makes is one the tables allow, the unavailability bound holds, and the execution
 * ends in a terminal status.
 */

const S = ExecutionStatus;
const I = InstanceStatus;

const FORWARD: Partial<Record<InstanceStatus, InstanceEvent>> = {
  [I.DRAINING]: 'DRAINED',
  [I.UPGRADING]: 'UPGRADED',
  [I.HEALTH_CHECKING]: 'HEALTHY',
};

const settingsArbitrary = fc.record({
  strategy: fc.constantFrom(...Object.values(UpgradeStrategy)),
  totalInstances: fc.integer({ min: 1, max: 25 }),
  batchSize: fc.integer({ min: 1, max: 8 }),
  batchDelaySeconds: fc.constantFrom(0, 60),
  maxUnavailablePercentage: fc.integer({ min: 1, max: 100 }),
  canaryPercentage: fc.integer({ min: 1, max: 100 }),
  autoRollbackEnabled: fc.boolean(),
  failureThreshold: fc.integer({ min: 1, max: 5 }),
  failurePercent: fc.integer({ min: 0, max: 50 }),
  checkFailurePercent: fc.constantFrom(0, 5),
  operatorPercent: fc.integer({ min: 0, max: 15 }),
});

type Settings = typeof settingsArbitrary extends fc.Arbitrary<infer T> ? T : never;

interface Instance extends PlannerInstance {
  failedAt: InstanceStatus | null;
}

interface Outcome {
  status: ExecutionStatus;
  steps: number;
  instances: Instance[];
}

function driveExecution(settings: Settings, g: fc.GeneratorValue): Outcome {
  const percent = (): number => g(fc.integer, { min: 0, max: 99 });
  const bound = maxUnavailable(settings.totalInstances, settings.maxUnavailablePercentage);
  const instances: Instance[] = Array.from({ length: settings.totalInstances }, (_, index) => ({
    id: `i${index}`,
    status: I.PENDING,
    batch: null,
    failedAt: null,
  }));
  // Widened on purpose: closures below move it, which narrowing cannot see.
  let status = S.PENDING as ExecutionStatus;
  let plan: PlanInput = {
    strategy: settings.strategy,
    totalInstances: settings.totalInstances,
    batchSize: settings.batchSize,
    batchDelaySeconds: settings.batchDelaySeconds,
    maxUnavailablePercentage: settings.maxUnavailablePercentage,
    canaryPercentage: settings.canaryPercentage,
    phase: initialPlanPhase(settings.strategy),
    lastBatchCompletedAt: null,
    currentBatch: 0,
    approvedStages: 0,
  };
  let now = new Date('2025-01-01T00:00:00Z');
  let halting = false;

  const apply = (event: ExecutionEvent): void => {
    const result = transitionExecution(status, event);
    if (!result.ok) throw result.error; // the driver only ever asks for allowed moves
    status = result.to;
    plan = { ...plan, phase: planPhaseAfter(plan.strategy, status, plan.phase) };
  };
  const applyRoute = (route: readonly ExecutionEvent[] | null): void => {
    if (!route) throw new Error(`no route from ${status}`);
    route.forEach(apply);
  };
  const inFlight = (): Instance[] => instances.filter((i) => IN_FLIGHT_STATUSES.includes(i.status));
  const failures = (): number => instances.filter((i) => i.status === I.FAILED).length;

  const settleOneResult = (): void => {
    const candidates = inFlight();
    const instance = candidates[g(fc.integer, { min: 0, max: candidates.length - 1 })];
    if (!instance) return;
    const forward = FORWARD[instance.status];
    const failed = percent() < settings.failurePercent;
    const result = transitionInstance(instance.status, failed || !forward ? 'FAILED' : forward);
    if (!result.ok) throw result.error;
    if (failed) instance.failedAt = instance.status;
    instance.status = result.to;
    if (inFlight().length === 0) plan = { ...plan, lastBatchCompletedAt: now };
    if (failed && status !== S.ROLLING_BACK) {
      const decision = decideOnFailure({ ...settings, currentFailures: failures() });
      if (decision === 'ROLLBACK') applyRoute(rollbackRoute(status));
      if (decision === 'HALT') halting = true;
    }
  };

  const operatorActs = (): void => {
    const operation =
      ALL_EXECUTION_OPERATIONS[g(fc.integer, { min: 0, max: ALL_EXECUTION_OPERATIONS.length - 1 })];
    if (!operation || operation === 'start') return;
    const before = status;
    const result = applyOperation(status, operation);
    if (!result.ok) {
      expect(result.error.from).toBe(before); // a refused operation changes nothing (409)
      return;
    }
    if (operation === 'resume') plan = { ...plan, approvedStages: completedStages(plan, instances) };
    status = result.to;
    plan = { ...plan, phase: planPhaseAfter(plan.strategy, status, plan.phase) };
  };

  for (let steps = 0; steps < 20_000; steps++) {
    const outOfService = instances.filter((i) => OUT_OF_SERVICE_STATUSES.includes(i.status)).length;
    expect(outOfService).toBeLessThanOrEqual(bound);
    if (isTerminal(status)) return { status, steps, instances };

    if (percent() < settings.operatorPercent) {
      operatorActs();
      continue;
    }

    switch (status) {
      case S.PENDING:
        apply('START');
        break;
      case S.VALIDATING:
        if (percent() < settings.checkFailurePercent) apply('CHECKS_FAILED');
        else apply(plan.strategy === UpgradeStrategy.CANARY ? 'CHECKS_PASSED_CANARY' : 'CHECKS_PASSED');
        break;
      case S.PAUSED:
        // Commands already sent keep coming back while paused; the operator resumes eventually.
        if (inFlight().length > 0 && percent() < 50) settleOneResult();
        else if (halting && inFlight().length === 0) applyRoute(failRoute(status));
        else if (percent() < 30) {
          plan = { ...plan, approvedStages: completedStages(plan, instances) };
          apply('RESUME');
        }
        break;
      case S.CANARY_MONITORING: {
        const unhealthy = instances.filter((i) => i.batch !== null && i.status === I.FAILED).length;
        if (
          decideOnCanaryHealth({ autoRollbackEnabled: settings.autoRollbackEnabled, unhealthy }) ===
          'ROLLBACK'
        ) {
          applyRoute(rollbackRoute(status));
        } else if (percent() < 50) {
          apply('PROMOTE');
        }
        break;
      }
      case S.ROLLING_BACK: {
        if (inFlight().length > 0) {
          settleOneResult();
          break;
        }
        let failedReverts = 0;
        let rolledBack = 0;
        for (const instance of instances.filter(needsRollback)) {
          if (percent() < 5) {
            failedReverts++;
            continue;
          }
          const reverted = transitionInstance(instance.status, 'ROLLED_BACK');
          if (!reverted.ok) throw reverted.error;
          instance.status = reverted.to;
          rolledBack++;
        }
        apply(rollbackOutcomeEvent({ rolledBack, failed: failedReverts }));
        break;
      }
      case S.IN_PROGRESS:
      case S.CANARY_RUNNING: {
        if (halting) {
          if (inFlight().length > 0) settleOneResult();
          else applyRoute(failRoute(status));
          break;
        }
        const decision = planNextBatch(plan, instances, now);
        switch (decision.kind) {
          case 'START_BATCH':
            for (const id of decision.instanceIds) {
              const instance = instances.find((i) => i.id === id);
              if (!instance) throw new Error(`unknown instance ${id}`);
              const drained = transitionInstance(instance.status, 'DRAIN_ISSUED');
              if (!drained.ok) throw drained.error;
              instance.status = drained.to;
              instance.batch = decision.batch;
            }
            plan = { ...plan, currentBatch: decision.batch };
            break;
          case 'WAIT_FOR_INSTANCES':
            settleOneResult();
            break;
          case 'WAIT_UNTIL':
            now = decision.at;
            break;
          case 'CANARY_PHASE_DONE':
            apply('CANARY_DEPLOYED');
            break;
          case 'STAGE_DONE':
            apply('PAUSE');
            break;
          case 'BLOCKED':
            if (decideOnBlocked(settings.autoRollbackEnabled) === 'ROLLBACK')
              applyRoute(rollbackRoute(status));
            else applyRoute(failRoute(status));
            break;
          case 'ALL_DONE':
            apply(completionEvent(decision));
            break;
        }
        break;
      }
    }
  }
  throw new Error(`execution still ${status} after 20 000 steps`);
}

describe('execution lifecycle property', () => {
  it('any sequence of instance results and operator actions ends in a terminal status through allowed moves only', () => {
    fc.assert(
      fc.property(settingsArbitrary, fc.gen(), (settings, g) => {
        const { status } = driveExecution(settings, g);
        expect(isTerminal(status)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('without failures or operator, every strategy ends COMPLETED with every instance upgraded', () => {
    fc.assert(
      fc.property(settingsArbitrary, fc.gen(), (settings, g) => {
        const run = driveExecution(
          { ...settings, failurePercent: 0, checkFailurePercent: 0, operatorPercent: 0 },
          g,
        );
        expect(run.status).toBe(S.COMPLETED);
        expect(run.instances.every((instance) => instance.status === I.COMPLETED)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});
