import { ExecutionStatus, InstanceStatus, UpgradeStrategy } from '@upshift/contracts/model';
import {
  InvalidPlanError,
  canaryCount,
  completedStages,
  initialPlanPhase,
  maxUnavailable,
  planNextBatch,
  planPhaseAfter,
  stageOfBatch,
  totalBatches,
  totalStages,
} from './batch-planner';
import type { PlanDecision, PlanInput, PlannerInstance } from './batch-planner';
import { STRATEGY_RULES } from './strategy-rules';

const I = InstanceStatus;
const NOW = new Date('2025-01-01T12:00:00.000Z');

/**
 * A fleet written as one character per instance, in planning order:
 * `.` pending and unplanned, `p` planned but not yet drained, `D` draining, `U` upgrading,
 * `H` health-checking, `C` completed, `F` failed, `R` rolled back. Planned instances sit in batch 1.
 */
function fleet(spec: string): PlannerInstance[] {
  const statuses: Record<string, InstanceStatus> = {
    '.': I.PENDING,
    p: I.PENDING,
    D: I.DRAINING,
    U: I.UPGRADING,
    H: I.HEALTH_CHECKING,
    C: I.COMPLETED,
    F: I.FAILED,
    R: I.ROLLED_BACK,
  };
  return [...spec].map((char, index) => {
    const status = statuses[char];
    if (!status) throw new Error(`unknown fleet character ${char}`);
    return { id: `i${String(index + 1).padStart(2, '0')}`, status, batch: char === '.' ? null : 1 };
  });
}

function ids(...numbers: number[]): string[] {
  return numbers.map((n) => `i${String(n).padStart(2, '0')}`);
}

function plan(overrides: Partial<PlanInput> = {}): PlanInput {
  return {
    strategy: UpgradeStrategy.ROLLING,
    totalInstances: 10,
    batchSize: 5,
    batchDelaySeconds: 0,
    maxUnavailablePercentage: 25,
    canaryPercentage: 10,
    phase: 'ROLLOUT',
    lastBatchCompletedAt: null,
    currentBatch: 0,
    ...overrides,
  };
}

function start(batch: number, instanceIds: string[]): PlanDecision {
  return { kind: 'START_BATCH', batch, instanceIds };
}

describe('maxUnavailable', () => {
  it.each([
    ['25% of 20 allows 5 out of service', 20, 25, 5],
    ['25% of 10 rounds down to 2', 10, 25, 2],
    ['uses 1 when the percentage rounds to 0', 3, 10, 1],
    ['uses 1 for a fleet of one', 1, 25, 1],
    ['uses 1 for an empty fleet', 0, 25, 1],
    ['100% allows the whole fleet', 7, 100, 7],
  ])('%s', (_rule, total, pct, expected) => {
    expect(maxUnavailable(total, pct)).toBe(expected);
  });
});

describe('canaryCount', () => {
  it.each([
    ['10% of 20 = 2 (the example of docs/api-contract.md)', 20, 10, 2],
    ['rounds up: 10% of 5 is 1', 5, 10, 1],
    ['rounds up: 15% of 10 is 2', 10, 15, 2],
    ['at least one canary', 3, 1, 1],
    ['100% makes every instance a canary', 8, 100, 8],
  ])('%s', (_rule, total, pct, expected) => {
    expect(canaryCount(total, pct)).toBe(expected);
  });
});

describe('planNextBatch', () => {
  describe('rules every strategy follows', () => {
    it.each<[string, PlanInput, string, PlanDecision]>([
      [
        'Waits while any instance of the batch is draining',
        plan(),
        'CCD.......',
        { kind: 'WAIT_FOR_INSTANCES' },
      ],
      ['Waits while any instance is upgrading', plan(), 'CU........', { kind: 'WAIT_FOR_INSTANCES' }],
      ['Waits while any instance is health-checking', plan(), 'H.........', { kind: 'WAIT_FOR_INSTANCES' }],
      [
        'Treats a planned instance not yet drained as in flight',
        plan(),
        'p.........',
        { kind: 'WAIT_FOR_INSTANCES' },
      ],
      [
        'Reports all done with counts once every instance settled',
        plan(),
        'CCCCCCCCFC',
        { kind: 'ALL_DONE', completed: 9, failed: 1 },
      ],
      [
        'Counts rolled-back instances as neither completed nor failed',
        plan(),
        'CCCCCCCCRC',
        { kind: 'ALL_DONE', completed: 9, failed: 0 },
      ],
      [
        'Is all done at once for an empty fleet',
        plan({ totalInstances: 0 }),
        '',
        { kind: 'ALL_DONE', completed: 0, failed: 0 },
      ],
      ['Numbers the batch after currentBatch', plan({ currentBatch: 3 }), 'CCCCCC....', start(4, ids(7, 8))],
      ['Plans instances in the order given', plan(), 'C.C.C.....', start(1, ids(2, 4))],
    ])('%s', (_rule, input, spec, expected) => {
      expect(planNextBatch(input, fleet(spec), NOW)).toEqual(expected);
    });

    it('Waits batchDelaySeconds after the last batch ended', () => {
      const lastBatchCompletedAt = new Date(NOW.getTime() - 20_000);
      expect(
        planNextBatch(
          plan({ batchDelaySeconds: 60, lastBatchCompletedAt, currentBatch: 1 }),
          fleet('CC........'),
          NOW,
        ),
      ).toEqual({ kind: 'WAIT_UNTIL', at: new Date(NOW.getTime() + 40_000) });
    });

    it('Starts the next batch the moment the delay has passed', () => {
      const lastBatchCompletedAt = new Date(NOW.getTime() - 60_000);
      expect(
        planNextBatch(
          plan({ batchDelaySeconds: 60, lastBatchCompletedAt, currentBatch: 1 }),
          fleet('CC........'),
          NOW,
        ),
      ).toEqual(start(2, ids(3, 4)));
    });

    it('Does not wait before the first batch', () => {
      expect(planNextBatch(plan({ batchDelaySeconds: 600 }), fleet('..........'), NOW)).toEqual(
        start(1, ids(1, 2)),
      );
    });

    it('Computes the bound on the smaller of totalInstances and the instances given', () => {
      // 20 declared but 8 given: 25% of 8 = 2, not 25% of 20 = 5.
      expect(planNextBatch(plan({ totalInstances: 20 }), fleet('........'), NOW)).toEqual(
        start(1, ids(1, 2)),
      );
    });

    it('Blocks rather than wait out a delay when failures already use the budget', () => {
      const decision = planNextBatch(
        plan({ batchDelaySeconds: 60, lastBatchCompletedAt: NOW, currentBatch: 1 }),
        fleet('FF........'),
        NOW,
      );
      expect(decision.kind).toBe('BLOCKED');
    });
  });

  describe('ROLLING', () => {
    const rolling = (overrides: Partial<PlanInput> = {}): PlanInput =>
      plan({ strategy: UpgradeStrategy.ROLLING, ...overrides });

    it.each<[string, PlanInput, string, PlanDecision]>([
      [
        'Takes batchSize instances when the budget allows',
        rolling({ totalInstances: 20 }),
        '.'.repeat(20),
        start(1, ids(1, 2, 3, 4, 5)),
      ],
      ['Does not go past max unavailable', rolling(), '..........', start(1, ids(1, 2))],
      [
        'Uses maxUnavailable of 1 when percentages round to 0',
        rolling({ totalInstances: 3, maxUnavailablePercentage: 10 }),
        '...',
        start(1, ids(1)),
      ],
      [
        'Counts failed instances in the budget',
        rolling({ totalInstances: 20 }),
        'CCFF' + '.'.repeat(16),
        start(1, ids(5, 6, 7)),
      ],
      [
        'Takes a smaller batchSize as it is',
        rolling({ totalInstances: 20, batchSize: 2 }),
        '.'.repeat(20),
        start(1, ids(1, 2)),
      ],
      [
        'Takes only what is left for the last batch',
        rolling({ totalInstances: 20 }),
        'C'.repeat(18) + '..',
        start(1, ids(19, 20)),
      ],
      ['Ignores the canary phase flag', rolling({ phase: 'CANARY' }), '..........', start(1, ids(1, 2))],
    ])('%s', (_rule, input, spec, expected) => {
      expect(planNextBatch(input, fleet(spec), NOW)).toEqual(expected);
    });

    it('Blocks when failed instances use the whole budget, saying why and what to do', () => {
      const decision = planNextBatch(rolling(), fleet('CFF.......'), NOW);
      expect(decision).toEqual({
        kind: 'BLOCKED',
        reason:
          '2 failed instance(s) use the whole unavailability budget of 2 (maxUnavailablePercentage 25% of 10); ' +
          '7 instance(s) cannot be upgraded without exceeding it. Roll back or cancel the execution.',
      });
    });

    it('Gives the budget back once failed instances are rolled back', () => {
      expect(planNextBatch(rolling(), fleet('CRR.......'), NOW)).toEqual(start(1, ids(4, 5)));
    });
  });

  describe('CANARY', () => {
    const canary = (overrides: Partial<PlanInput> = {}): PlanInput =>
      plan({ strategy: UpgradeStrategy.CANARY, phase: 'CANARY', ...overrides });

    it.each<[string, PlanInput, string, PlanDecision]>([
      [
        'Deploys 10% of 20 = 2 canaries first',
        canary({ totalInstances: 20 }),
        '.'.repeat(20),
        start(1, ids(1, 2)),
      ],
      [
        'Rounds the canary count up to at least one',
        canary({ totalInstances: 5 }),
        '.....',
        start(1, ids(1)),
      ],
      [
        'Caps a canary batch by the budget, not batchSize',
        canary({ canaryPercentage: 50 }),
        '..........',
        start(1, ids(1, 2)),
      ],
      [
        'Plans the remaining canaries in the next batch',
        canary({ canaryPercentage: 50, currentBatch: 1 }),
        'CC........',
        start(2, ids(3, 4)),
      ],
      [
        'Takes only the canaries still missing',
        canary({ canaryPercentage: 50, currentBatch: 2 }),
        'CCCC......',
        start(3, ids(5)),
      ],
      [
        'Reports the canary phase done once every canary settled',
        canary({ totalInstances: 20 }),
        'CC' + '.'.repeat(18),
        { kind: 'CANARY_PHASE_DONE' },
      ],
      [
        'Reports the canary phase done even when a canary failed',
        canary({ totalInstances: 20 }),
        'CF' + '.'.repeat(18),
        { kind: 'CANARY_PHASE_DONE' },
      ],
      [
        'Waits for canaries in flight',
        canary({ totalInstances: 20 }),
        'CH' + '.'.repeat(18),
        { kind: 'WAIT_FOR_INSTANCES' },
      ],
      [
        'Ends the canary phase before all done when every instance is a canary',
        canary({ totalInstances: 3, canaryPercentage: 100, maxUnavailablePercentage: 100 }),
        'CCC',
        { kind: 'CANARY_PHASE_DONE' },
      ],
      [
        'Rolls out the rest with the rolling rule after promotion',
        canary({ totalInstances: 20, phase: 'ROLLOUT', currentBatch: 1 }),
        'CC' + '.'.repeat(18),
        start(2, ids(3, 4, 5, 6, 7)),
      ],
      [
        'Blocks in the canary phase when failed canaries use the budget',
        canary({ canaryPercentage: 50 }),
        'FF........',
        { kind: 'BLOCKED', reason: expect.stringContaining('2 failed instance(s)') as string },
      ],
    ])('%s', (_rule, input, spec, expected) => {
      expect(planNextBatch(input, fleet(spec), NOW)).toEqual(expected);
    });
  });

  describe('BLUE_GREEN', () => {
    const blueGreen = (overrides: Partial<PlanInput> = {}): PlanInput =>
      plan({ strategy: UpgradeStrategy.BLUE_GREEN, ...overrides });

    it.each<[string, PlanInput, string, PlanDecision]>([
      [
        'Switches at most half the fleet at once even when the budget is wider',
        blueGreen({ maxUnavailablePercentage: 100 }),
        '..........',
        start(1, ids(1, 2, 3, 4, 5)),
      ],
      [
        'Keeps the smaller half serving for an odd fleet',
        blueGreen({ totalInstances: 5, maxUnavailablePercentage: 100 }),
        '.....',
        start(1, ids(1, 2)),
      ],
      ['Is capped by the unavailability budget', blueGreen(), '..........', start(1, ids(1, 2))],
      [
        'Ignores batchSize',
        blueGreen({ batchSize: 1, maxUnavailablePercentage: 50 }),
        '..........',
        start(1, ids(1, 2, 3, 4, 5)),
      ],
      [
        'Switches the other half next',
        blueGreen({ maxUnavailablePercentage: 100, currentBatch: 1 }),
        'CCCCC.....',
        start(2, ids(6, 7, 8, 9, 10)),
      ],
      ['Moves a single-instance fleet on its own', blueGreen({ totalInstances: 1 }), '.', start(1, ids(1))],
    ])('%s', (_rule, input, spec, expected) => {
      expect(planNextBatch(input, fleet(spec), NOW)).toEqual(expected);
    });

    it('Stops at the first failed green instance, within budget or not', () => {
      const decision = planNextBatch(blueGreen({ maxUnavailablePercentage: 100 }), fleet('CCCCF.....'), NOW);
      expect(decision).toEqual({
        kind: 'BLOCKED',
        reason:
          'BLUE_GREEN tolerates no failed instance and 1 failed; the remaining 5 stay on the previous version. ' +
          'Roll back or cancel the execution.',
      });
    });

    it('Still reports all done when the failure was in the last slice', () => {
      expect(planNextBatch(blueGreen({ maxUnavailablePercentage: 100 }), fleet('CCCCCCCCCF'), NOW)).toEqual({
        kind: 'ALL_DONE',
        completed: 9,
        failed: 1,
      });
    });
  });

  describe('RECREATE', () => {
    const recreate = (overrides: Partial<PlanInput> = {}): PlanInput =>
      plan({ strategy: UpgradeStrategy.RECREATE, ...overrides });

    it.each<[string, PlanInput, string, PlanDecision]>([
      [
        'Replaces every instance at once when the budget allows it',
        recreate({ maxUnavailablePercentage: 100 }),
        '..........',
        start(1, ids(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)),
      ],
      [
        'Is capped by the unavailability budget: "all at once" never beats the invariant',
        recreate(),
        '..........',
        start(1, ids(1, 2)),
      ],
      [
        'Ignores batchSize',
        recreate({ batchSize: 1, maxUnavailablePercentage: 50 }),
        '..........',
        start(1, ids(1, 2, 3, 4, 5)),
      ],
      [
        'Does not wait between waves',
        recreate({ batchDelaySeconds: 60, lastBatchCompletedAt: NOW, currentBatch: 1 }),
        'CC........',
        start(2, ids(3, 4)),
      ],
      [
        'Goes on past failures within the budget',
        recreate({ maxUnavailablePercentage: 50 }),
        'CF........',
        start(1, ids(3, 4, 5, 6)),
      ],
    ])('%s', (_rule, input, spec, expected) => {
      expect(planNextBatch(input, fleet(spec), NOW)).toEqual(expected);
    });
  });

  describe('STAGED', () => {
    const staged = (overrides: Partial<PlanInput> = {}): PlanInput =>
      plan({ strategy: UpgradeStrategy.STAGED, batchSize: 3, maxUnavailablePercentage: 50, ...overrides });

    it.each<[string, PlanInput, string, PlanDecision]>([
      ['Upgrades one instance at a time', staged(), '..........', start(1, ids(1))],
      [
        'Takes the next instance once the previous settled',
        staged({ currentBatch: 1 }),
        'C.........',
        start(2, ids(2)),
      ],
      [
        'Pauses for approval after batchSize instances',
        staged({ currentBatch: 3 }),
        'CCC.......',
        { kind: 'STAGE_DONE', stage: 1 },
      ],
      [
        'Counts a failed instance towards its stage',
        staged({ currentBatch: 3 }),
        'CFC.......',
        { kind: 'STAGE_DONE', stage: 1 },
      ],
      [
        'Continues once the operator approved the stage',
        staged({ currentBatch: 3, approvedStages: 1 }),
        'CCC.......',
        start(4, ids(4)),
      ],
      [
        'Asks again after the next stage',
        staged({ currentBatch: 6, approvedStages: 1 }),
        'CCCCCC....',
        { kind: 'STAGE_DONE', stage: 2 },
      ],
      [
        'Needs no approval after the last stage',
        staged({ currentBatch: 10, approvedStages: 3 }),
        'CCCCCCCCCC',
        { kind: 'ALL_DONE', completed: 10, failed: 0 },
      ],
      [
        'Honours batchDelaySeconds inside a stage',
        staged({ currentBatch: 1, batchDelaySeconds: 30, lastBatchCompletedAt: NOW }),
        'C.........',
        { kind: 'WAIT_UNTIL', at: new Date(NOW.getTime() + 30_000) },
      ],
      [
        'Blocks when failures use the budget',
        staged({ maxUnavailablePercentage: 10 }),
        'F.........',
        { kind: 'BLOCKED', reason: expect.stringContaining('1 failed instance(s)') as string },
      ],
    ])('%s', (_rule, input, spec, expected) => {
      expect(planNextBatch(input, fleet(spec), NOW)).toEqual(expected);
    });
  });

  describe('input checks', () => {
    it.each<[string, Partial<PlanInput>, string]>([
      ['batchSize 0 would never move', { batchSize: 0 }, 'batchSize must be a whole number ≥ 1 (got 0)'],
      [
        'a fractional batchSize is refused',
        { batchSize: 1.5 },
        'batchSize must be a whole number ≥ 1 (got 1.5)',
      ],
      [
        'a negative total is refused',
        { totalInstances: -1 },
        'totalInstances must be a whole number ≥ 0 (got -1)',
      ],
      ['a negative delay is refused', { batchDelaySeconds: -5 }, 'batchDelaySeconds must be ≥ 0 (got -5)'],
      [
        'maxUnavailablePercentage 0 is refused',
        { maxUnavailablePercentage: 0 },
        'maxUnavailablePercentage must be in (0, 100] (got 0)',
      ],
      [
        'canaryPercentage above 100 is refused',
        { canaryPercentage: 101 },
        'canaryPercentage must be in (0, 100] (got 101)',
      ],
      [
        'a negative currentBatch is refused',
        { currentBatch: -1 },
        'currentBatch must be a whole number ≥ 0 (got -1)',
      ],
      [
        'a fractional approvedStages is refused',
        { approvedStages: 0.5 },
        'approvedStages must be a whole number ≥ 0 (got 0.5)',
      ],
      [
        'an unknown strategy is refused',
        { strategy: 'BIG_BANG' as UpgradeStrategy },
        'strategy must be one of ROLLING, CANARY, BLUE_GREEN, RECREATE, STAGED (got BIG_BANG)',
      ],
    ])('%s', (_rule, overrides, problem) => {
      expect(() => planNextBatch(plan(overrides), fleet('..'), NOW)).toThrow(InvalidPlanError);
      try {
        planNextBatch(plan(overrides), fleet('..'), NOW);
      } catch (error) {
        expect((error as InvalidPlanError).problems).toEqual([problem]);
      }
    });

    it('names every problem at once', () => {
      expect(() => totalBatches(plan({ batchSize: 0, currentBatch: -1 }))).toThrow(
        'Invalid plan input: batchSize must be a whole number ≥ 1 (got 0); currentBatch must be a whole number ≥ 0 (got -1)',
      );
    });
  });
});

describe('totalBatches', () => {
  it.each<[string, Partial<PlanInput>, number]>([
    ['ROLLING: 10 instances, batches capped at 2 by the budget → 5', {}, 5],
    ['ROLLING: 20 instances in batches of 5 → 4', { totalInstances: 20 }, 4],
    ['ROLLING: a smaller batchSize sets the pace', { totalInstances: 20, batchSize: 3 }, 7],
    [
      'CANARY: 2 canaries then 18 in batches of 5 → 1 + 4',
      { strategy: UpgradeStrategy.CANARY, totalInstances: 20 },
      5,
    ],
    [
      'CANARY: canaries beyond the budget take several batches',
      { strategy: UpgradeStrategy.CANARY, canaryPercentage: 50 },
      3 + 3,
    ],
    [
      'BLUE_GREEN: two halves when the budget allows',
      { strategy: UpgradeStrategy.BLUE_GREEN, maxUnavailablePercentage: 100 },
      2,
    ],
    ['BLUE_GREEN: budget-sized slices otherwise', { strategy: UpgradeStrategy.BLUE_GREEN }, 5],
    [
      'RECREATE: one wave when the budget allows',
      { strategy: UpgradeStrategy.RECREATE, maxUnavailablePercentage: 100 },
      1,
    ],
    [
      'RECREATE: budget-sized waves otherwise',
      { strategy: UpgradeStrategy.RECREATE, maxUnavailablePercentage: 30 },
      4,
    ],
    ['STAGED: one batch per instance', { strategy: UpgradeStrategy.STAGED }, 10],
    ['an empty fleet has no batch', { totalInstances: 0 }, 0],
  ])('%s', (_rule, overrides, expected) => {
    expect(totalBatches(plan(overrides))).toBe(expected);
  });
});

describe('stages (STAGED)', () => {
  const staged = plan({ strategy: UpgradeStrategy.STAGED, batchSize: 3 });

  it('has ceil(total / batchSize) stages', () => {
    expect(totalStages(staged)).toBe(4);
    expect(totalStages(plan())).toBe(0);
  });

  it.each([
    [1, 1],
    [3, 1],
    [4, 2],
    [10, 4],
  ])('batch %i belongs to stage %i', (batch, stage) => {
    expect(stageOfBatch(staged, batch)).toBe(stage);
  });

  it('other strategies have no stages', () => {
    expect(stageOfBatch(plan(), 3)).toBe(0);
    expect(completedStages(plan(), fleet('CCC'))).toBe(0);
  });

  it.each([
    ['no stage is complete before the first instance settles', '..........', 0],
    ['a stage in flight is not complete', 'CCH.......', 0],
    ['a stage is complete when all its instances settled', 'CFC.......', 1],
    ['a partly planned stage is not complete', 'CCCC......', 1],
    ['the short last stage completes with the fleet', 'CCCCCCCCCC', 4],
  ])('%s', (_rule, spec, expected) => {
    expect(completedStages(staged, fleet(spec))).toBe(expected);
  });
});

describe('plan phases', () => {
  it.each<[string, UpgradeStrategy, ExecutionStatus, 'CANARY' | 'ROLLOUT', 'CANARY' | 'ROLLOUT']>([
    [
      'a canary execution plans canaries while CANARY_RUNNING',
      UpgradeStrategy.CANARY,
      ExecutionStatus.CANARY_RUNNING,
      'CANARY',
      'CANARY',
    ],
    [
      'promotion switches a canary execution to rollout',
      UpgradeStrategy.CANARY,
      ExecutionStatus.IN_PROGRESS,
      'CANARY',
      'ROLLOUT',
    ],
    ['a pause keeps the phase', UpgradeStrategy.CANARY, ExecutionStatus.PAUSED, 'CANARY', 'CANARY'],
    [
      'monitoring keeps the phase',
      UpgradeStrategy.CANARY,
      ExecutionStatus.CANARY_MONITORING,
      'CANARY',
      'CANARY',
    ],
    [
      'other strategies are always in rollout',
      UpgradeStrategy.ROLLING,
      ExecutionStatus.CANARY_RUNNING,
      'CANARY',
      'ROLLOUT',
    ],
  ])('%s', (_rule, strategy, to, current, expected) => {
    expect(planPhaseAfter(strategy, to, current)).toBe(expected);
  });

  it('only CANARY starts in the canary phase', () => {
    expect(Object.values(UpgradeStrategy).map(initialPlanPhase)).toEqual([
      'ROLLOUT',
      'CANARY',
      'ROLLOUT',
      'ROLLOUT',
      'ROLLOUT',
    ]);
  });

  it('every strategy has a rule with a summary', () => {
    for (const strategy of Object.values(UpgradeStrategy)) {
      expect(STRATEGY_RULES[strategy].summary.length).toBeGreaterThan(10);
    }
  });
});
