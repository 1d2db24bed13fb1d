import type { ExecutionStatistics as ContractStatistics } from '@upshift/contracts/model';
import { ExecutionStatus } from '@upshift/contracts/model';
import { computeStatistics } from './statistics';
import type { ExecutionOutcome, ExecutionStatistics } from './statistics';

const S = ExecutionStatus;
const T0 = '2025-01-01T00:00:00.000Z';

function run(status: ExecutionStatus, seconds: number | null): ExecutionOutcome {
  const startedAt = new Date(T0);
  return {
    status,
    startedAt,
    completedAt: seconds === null ? null : new Date(startedAt.getTime() + seconds * 1000),
  };
}

describe('computeStatistics', () => {
  it('reports zeros for a component without executions', () => {
    expect(computeStatistics('c1', [])).toEqual({
      componentId: 'c1',
      totalExecutions: 0,
      successfulExecutions: 0,
      failedExecutions: 0,
      successRate: 0,
      averageDurationSeconds: 0,
    });
  });

  it.each<[string, ExecutionOutcome[], Partial<ExecutionStatistics>]>([
    [
      'counts completed executions as successful',
      [run(S.COMPLETED, 10), run(S.COMPLETED, 20)],
      { successfulExecutions: 2, successRate: 100 },
    ],
    [
      'counts failed and rolled-back executions as failed',
      [run(S.FAILED, 5), run(S.ROLLED_BACK, 5), run(S.COMPLETED, 5)],
      { failedExecutions: 2, successfulExecutions: 1 },
    ],
    [
      'gives the success rate as a percentage of finished executions: cancelled and active ones are left out',
      [run(S.COMPLETED, 1), run(S.FAILED, 1), run(S.CANCELLED, 1), run(S.IN_PROGRESS, null)],
      { totalExecutions: 4, successRate: 50 },
    ],
    [
      'does not let a cancelled execution lower the success rate',
      [run(S.COMPLETED, 1), run(S.CANCELLED, 1)],
      { totalExecutions: 2, successfulExecutions: 1, failedExecutions: 0, successRate: 100 },
    ],
    [
      'counts a rolled-back execution against the success rate',
      [run(S.COMPLETED, 1), run(S.ROLLED_BACK, 1), run(S.ROLLED_BACK, 1), run(S.ROLLED_BACK, 1)],
      { successRate: 25 },
    ],
    [
      'gives 0 when no execution has finished',
      [run(S.CANCELLED, 3), run(S.IN_PROGRESS, null), run(S.PAUSED, null)],
      { totalExecutions: 3, successRate: 0 },
    ],
    [
      'counts cancelled and active executions in the total only',
      [run(S.CANCELLED, 3), run(S.PENDING, null)],
      { totalExecutions: 2, successfulExecutions: 0, failedExecutions: 0 },
    ],
    [
      'averages the duration of executions that have ended',
      [run(S.COMPLETED, 60), run(S.FAILED, 120), run(S.IN_PROGRESS, null)],
      { averageDurationSeconds: 90 },
    ],
    [
      'includes cancelled executions in the duration when they ran',
      [run(S.CANCELLED, 30), run(S.COMPLETED, 90)],
      { averageDurationSeconds: 60 },
    ],
    [
      'skips executions that never started',
      [{ status: S.CANCELLED, startedAt: null, completedAt: new Date(T0) }, run(S.COMPLETED, 40)],
      { averageDurationSeconds: 40 },
    ],
    [
      'ignores a completion before the start (a clock step)',
      [run(S.COMPLETED, -10), run(S.COMPLETED, 10)],
      { averageDurationSeconds: 10 },
    ],
    [
      'reads ISO strings as well as dates',
      [{ status: S.COMPLETED, startedAt: T0, completedAt: '2025-01-01T00:00:01.500Z' }],
      { averageDurationSeconds: 1.5 },
    ],
    [
      'ignores unparsable timestamps',
      [{ status: S.COMPLETED, startedAt: 'yesterday', completedAt: T0 }],
      { averageDurationSeconds: 0, successRate: 100 },
    ],
  ])('%s', (_rule, executions, expected) => {
    expect(computeStatistics('c1', executions)).toMatchObject(expected);
  });

  it('keeps fractional success rates', () => {
    expect(
      computeStatistics('c1', [run(S.COMPLETED, 1), run(S.FAILED, 1), run(S.FAILED, 1)]).successRate,
    ).toBeCloseTo(33.333, 3);
  });

  it('has the shape of the contracts ExecutionStatistics, both ways', () => {
    const fromDomain: ContractStatistics = computeStatistics('c1', []);
    const fromContracts: ExecutionStatistics = fromDomain;
    expect(fromContracts.componentId).toBe('c1');
  });
});
