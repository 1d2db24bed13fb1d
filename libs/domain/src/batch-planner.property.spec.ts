import { InstanceStatus, UpgradeStrategy } from '@upshift/contracts/model';
import fc from 'fast-check';
import { maxUnavailable, planNextBatch, totalBatches } from './batch-planner';
import type { PlanInput, PlannerInstance } from './batch-planner';
import { OUT_OF_SERVICE_STATUSES } from './instance-state-machine';

/**
 * The planner's invariants under random fleets and random outcomes: repeatedly plan, let a random
 * subset of the in-flight instances settle as COMPLETED or FAILED, approve stages and promote canaries
 * as an operator would, let time pass, until the planner says ALL_DONE or BLOCKED.
 */

const planArbitrary = fc.record({
  strategy: fc.constantFrom(...Object.values(UpgradeStrategy)),
  totalInstances: fc.integer({ min: 0, max: 40 }),
  batchSize: fc.integer({ min: 1, max: 12 }),
  batchDelaySeconds: fc.constantFrom(0, 30),
  maxUnavailablePercentage: fc.integer({ min: 1, max: 100 }),
  canaryPercentage: fc.integer({ min: 1, max: 100 }),
});

interface Simulation {
  outcome: 'ALL_DONE' | 'BLOCKED';
  starts: number[][];
  instances: PlannerInstance[];
}

type PlanSettings = typeof planArbitrary extends fc.Arbitrary<infer T> ? T : never;

/** Random choices drawn from fast-check, so failing runs shrink and replay. */
interface Chooser {
  coin(): boolean;
  percent(): number;
}

function chooserFrom(g: fc.GeneratorValue): Chooser {
  return { coin: () => g(fc.boolean), percent: () => g(fc.integer, { min: 0, max: 99 }) };
}

function simulate(settings: PlanSettings, random: Chooser, failureRate: number): Simulation {
  const bound = maxUnavailable(settings.totalInstances, settings.maxUnavailablePercentage);
  const instances: PlannerInstance[] = Array.from({ length: settings.totalInstances }, (_, index) => ({
    id: String(index),
    status: InstanceStatus.PENDING,
    batch: null,
  }));
  let plan: PlanInput = {
    ...settings,
    phase: settings.strategy === UpgradeStrategy.CANARY ? 'CANARY' : 'ROLLOUT',
    lastBatchCompletedAt: null,
    currentBatch: 0,
    approvedStages: 0,
  };
  let now = new Date('2025-01-01T00:00:00Z');
  const starts: number[][] = [];

  for (let step = 0; step < 10_000; step++) {
    const outOfService = instances.filter((instance) =>
      OUT_OF_SERVICE_STATUSES.includes(instance.status),
    ).length;
    expect(outOfService).toBeLessThanOrEqual(bound);

    const decision = planNextBatch(plan, instances, now);
    switch (decision.kind) {
      case 'START_BATCH': {
        expect(decision.batch).toBe(plan.currentBatch + 1);
        expect(decision.instanceIds.length).toBeGreaterThan(0);
        const picked = decision.instanceIds.map(Number);
        for (const index of picked) {
          const instance = instances[index];
          if (!instance) throw new Error(`planner returned unknown instance ${index}`);
          expect(instance.batch).toBeNull();
          instance.batch = decision.batch;
          instance.status = InstanceStatus.DRAINING;
        }
        starts.push(picked);
        plan = { ...plan, currentBatch: decision.batch };
        break;
      }
      case 'WAIT_FOR_INSTANCES': {
        const inFlight = instances.filter((instance) => instance.status === InstanceStatus.DRAINING);
        expect(inFlight.length).toBeGreaterThan(0);
        // Settle a random non-empty subset; the rest stay in flight for another round.
        const settling = inFlight.filter((_, index) => index === 0 || random.coin());
        for (const instance of settling) {
          instance.status = random.percent() < failureRate ? InstanceStatus.FAILED : InstanceStatus.COMPLETED;
        }
        if (settling.length === inFlight.length) {
          plan = { ...plan, lastBatchCompletedAt: now };
        }
        break;
      }
      case 'WAIT_UNTIL':
        expect(decision.at.getTime()).toBeGreaterThan(now.getTime());
        now = decision.at;
        break;
      case 'CANARY_PHASE_DONE':
        expect(plan.phase).toBe('CANARY');
        plan = { ...plan, phase: 'ROLLOUT' }; // monitoring, then /promote-canary
        break;
      case 'STAGE_DONE':
        expect(decision.stage).toBe((plan.approvedStages ?? 0) + 1);
        plan = { ...plan, approvedStages: decision.stage }; // /resume
        break;
      case 'BLOCKED':
      case 'ALL_DONE':
        return { outcome: decision.kind, starts, instances };
    }
  }
  throw new Error('the planner did not finish within 10 000 steps');
}

describe('batch planner properties', () => {
  it('never has more instances out of service than the bound, failures included, for every strategy', () => {
    fc.assert(
      fc.property(planArbitrary, fc.integer({ min: 0, max: 60 }), fc.gen(), (settings, failureRate, g) => {
        // The bound is checked before every decision inside simulate().
        const run = simulate(settings, chooserFrom(g), failureRate);
        const outOfService = run.instances.filter((i) => OUT_OF_SERVICE_STATUSES.includes(i.status)).length;
        expect(outOfService).toBeLessThanOrEqual(
          maxUnavailable(settings.totalInstances, settings.maxUnavailablePercentage),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('plans every instance exactly once when nothing blocks, and none twice when something does', () => {
    fc.assert(
      fc.property(planArbitrary, fc.integer({ min: 0, max: 40 }), fc.gen(), (settings, failureRate, g) => {
        const run = simulate(settings, chooserFrom(g), failureRate);
        const planned = run.starts.flat();
        expect(new Set(planned).size).toBe(planned.length);
        if (run.outcome === 'ALL_DONE') {
          expect([...planned].sort((a, b) => a - b)).toEqual(run.instances.map((_, index) => index));
        } else {
          expect(run.instances.some((instance) => instance.status === InstanceStatus.FAILED)).toBe(true);
          expect(run.instances.some((instance) => instance.batch === null)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('without failures finishes every strategy in exactly totalBatches batches', () => {
    fc.assert(
      fc.property(planArbitrary, fc.gen(), (settings, g) => {
        const run = simulate(settings, chooserFrom(g), 0);
        expect(run.outcome).toBe('ALL_DONE');
        expect(run.starts).toHaveLength(
          totalBatches({ ...settings, phase: 'ROLLOUT', lastBatchCompletedAt: null, currentBatch: 0 }),
        );
      }),
      { numRuns: 300 },
    );
  });
});
