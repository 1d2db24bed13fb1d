import { ExecutionStatus } from '@upshift/contracts/model';
import fc from 'fast-check';
import { computeStatistics, statisticsFromTallies, tallyOutcomes } from './statistics';
import type { ExecutionOutcome } from './statistics';

/**
 * The statistics' rules under random histories: how executions are counted and what the success rate
 * means (docs/api-contract.md, "ExecutionStatistics"), whatever the mix of statuses and timestamps.
 */

const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const FINISHED_BADLY: readonly ExecutionStatus[] = [ExecutionStatus.FAILED, ExecutionStatus.ROLLED_BACK];

const outcome: fc.Arbitrary<ExecutionOutcome> = fc
  .record({
    status: fc.constantFrom(...Object.values(ExecutionStatus)),
    started: fc.option(fc.integer({ min: 0, max: 86_400_000 }), { nil: null }),
    tookMs: fc.option(fc.integer({ min: -60_000, max: 86_400_000 }), { nil: null }),
  })
  .map(({ status, started, tookMs }) => ({
    status,
    startedAt: started === null ? null : new Date(T0 + started),
    completedAt: started === null || tookMs === null ? null : new Date(T0 + started + tookMs),
  }));

const history = fc.array(outcome, { maxLength: 60 });

describe('computeStatistics (properties)', () => {
  it('counts every execution once; successful and failed never overlap', () => {
    fc.assert(
      fc.property(history, (executions) => {
        const stats = computeStatistics('c1', executions);
        expect(stats.totalExecutions).toBe(executions.length);
        expect(stats.successfulExecutions).toBe(
          executions.filter((e) => e.status === ExecutionStatus.COMPLETED).length,
        );
        expect(stats.failedExecutions).toBe(
          executions.filter((e) => FINISHED_BADLY.includes(e.status)).length,
        );
        expect(stats.successfulExecutions + stats.failedExecutions).toBeLessThanOrEqual(
          stats.totalExecutions,
        );
      }),
    );
  });

  it('gives successRate = COMPLETED / (COMPLETED + FAILED + ROLLED_BACK) × 100, 0 when none finished', () => {
    fc.assert(
      fc.property(history, (executions) => {
        const { successRate, successfulExecutions, failedExecutions } = computeStatistics('c1', executions);
        const finished = successfulExecutions + failedExecutions;
        expect(successRate).toBeGreaterThanOrEqual(0);
        expect(successRate).toBeLessThanOrEqual(100);
        if (finished === 0) expect(successRate).toBe(0);
        else expect(successRate).toBeCloseTo((successfulExecutions / finished) * 100, 9);
      }),
    );
  });

  it('leaves successRate unchanged by any number of cancelled or still-active executions', () => {
    const notAnOutcome = outcome.filter(
      (e) => e.status !== ExecutionStatus.COMPLETED && !FINISHED_BADLY.includes(e.status),
    );
    fc.assert(
      fc.property(history, fc.array(notAnOutcome, { maxLength: 20 }), (executions, extra) => {
        const before = computeStatistics('c1', executions);
        const after = computeStatistics('c1', [...executions, ...extra]);
        expect(after.successRate).toBe(before.successRate);
        expect(after.totalExecutions).toBe(before.totalExecutions + extra.length);
      }),
    );
  });

  it('averages only non-negative durations of executions that have both timestamps', () => {
    fc.assert(
      fc.property(history, (executions) => {
        const durations = executions
          .filter((e) => e.startedAt !== null && e.completedAt !== null)
          .map((e) => ((e.completedAt as Date).getTime() - (e.startedAt as Date).getTime()) / 1000)
          .filter((seconds) => seconds >= 0);
        const expected = durations.length === 0 ? 0 : durations.reduce((a, b) => a + b, 0) / durations.length;
        expect(computeStatistics('c1', executions).averageDurationSeconds).toBeCloseTo(expected, 6);
      }),
    );
  });
});

describe('statistics from tallies', () => {
  const outcome = fc.record({
    status: fc.constantFrom(...Object.values(ExecutionStatus)),
    startedAt: fc.option(
      fc.integer({ min: 0, max: 1_000_000 }).map((s) => new Date(s * 1000)),
      { nil: null },
    ),
    completedAt: fc.option(
      fc.integer({ min: 0, max: 1_000_000 }).map((s) => new Date(s * 1000)),
      { nil: null },
    ),
  });

  it('tallies, in any grouping a store may return, give the statistics of the executions they count', () => {
    fc.assert(
      fc.property(fc.array(outcome, { maxLength: 40 }), fc.boolean(), (executions, reverse) => {
        const tallies = tallyOutcomes(executions);
        const fromTallies = statisticsFromTallies('c', reverse ? [...tallies].reverse() : tallies);
        const direct = computeStatistics('c', executions);
        expect(fromTallies.totalExecutions).toBe(executions.length);
        expect(fromTallies).toEqual({
          ...direct,
          averageDurationSeconds: expect.closeTo(direct.averageDurationSeconds, 6),
        });
        expect(tallies.reduce((n, t) => n + t.executions, 0)).toBe(executions.length);
        expect(new Set(tallies.map((t) => t.status)).size).toBe(tallies.length);
      }),
    );
  });
});
