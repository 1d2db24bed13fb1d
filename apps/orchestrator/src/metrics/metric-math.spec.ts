import { ExecutionStatus } from '@upshift/contracts';
import { ACTIVE_STATUSES, activeStatusSeries, consumerLag, stepSeconds } from './metric-math';

describe('stepSeconds', () => {
  it.each([
    ['a step of 1.5 s', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.500Z', 1.5],
    ['a step that ended in the same millisecond', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 0],
    [
      'a worker clock that went backwards counts 0, never less',
      '2026-01-01T00:00:02Z',
      '2026-01-01T00:00:01Z',
      0,
    ],
    ['an unreadable time is no observation', 'yesterday', '2026-01-01T00:00:01Z', null],
  ])('%s', (_, started, finished, expected) => {
    expect(stepSeconds(started, finished)).toBe(expected);
  });
});

describe('activeStatusSeries', () => {
  it('lists every non-terminal status, those without rows at 0', () => {
    const series = activeStatusSeries([
      { status: 'IN_PROGRESS', n: '2', oldest_update_age_seconds: 12.5 },
      { status: 'PAUSED', n: 1, oldest_update_age_seconds: '300' },
    ]);
    expect(series.map((s) => s.status)).toEqual(ACTIVE_STATUSES);
    expect(series.find((s) => s.status === ExecutionStatus.IN_PROGRESS)).toEqual({
      status: ExecutionStatus.IN_PROGRESS,
      executions: 2,
      oldestUpdateAgeSeconds: 12.5,
    });
    expect(series.find((s) => s.status === ExecutionStatus.PAUSED)?.oldestUpdateAgeSeconds).toBe(300);
    expect(series.find((s) => s.status === ExecutionStatus.VALIDATING)).toEqual({
      status: ExecutionStatus.VALIDATING,
      executions: 0,
      oldestUpdateAgeSeconds: 0,
    });
  });

  it('has no terminal status', () => {
    for (const terminal of ['COMPLETED', 'FAILED', 'ROLLED_BACK', 'CANCELLED']) {
      expect(ACTIVE_STATUSES).not.toContain(terminal);
    }
  });
});

describe('consumerLag', () => {
  const watermarks = [
    { partition: 0, high: '100', low: '0' },
    { partition: 1, high: '50', low: '10' },
  ];

  it.each([
    [
      'caught up on every partition',
      [
        { partition: 0, offset: '100' },
        { partition: 1, offset: '50' },
      ],
      0,
    ],
    [
      'behind on both',
      [
        { partition: 0, offset: '90' },
        { partition: 1, offset: '45' },
      ],
      15,
    ],
    [
      'a partition never committed (-1) counts from its low watermark',
      [
        { partition: 0, offset: '100' },
        { partition: 1, offset: '-1' },
      ],
      40,
    ],
    [
      'a partition missing from the group counts from its low watermark',
      [{ partition: 0, offset: '99' }],
      41,
    ],
    [
      'a commit past the watermark (retention, truncation) counts 0, not less',
      [
        { partition: 0, offset: '120' },
        { partition: 1, offset: '50' },
      ],
      0,
    ],
  ])('%s', (_, committed, expected) => {
    expect(consumerLag(committed, watermarks)).toBe(expected);
  });
});
