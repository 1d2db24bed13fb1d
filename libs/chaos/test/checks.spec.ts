import {
  checkDeadLetters,
  checkExecution,
  checkFleetLog,
  checkOutOfService,
  checkProgressStream,
  checkTerminalStatus,
  checkZoneCoverage,
  percentile,
  type ExecutionOutcome,
  type FleetInstanceRecord,
  type ProgressRecord,
} from '@upshift/chaos';
import { ExecutionStatus } from '@upshift/contracts';

const instance = (name: string, over: Partial<FleetInstanceRecord> = {}): FleetInstanceRecord => ({
  name,
  version: '2.2.2',
  upgradesApplied: 1,
  rollbacksApplied: 0,
  staleCalls: 0,
  ...over,
});

function outcome(
  over: Partial<ExecutionOutcome> = {},
  instances = [instance('a'), instance('b')],
): ExecutionOutcome {
  return {
    expectation: {
      executionId: 'e1',
      label: 'rolling',
      expectedStatus: ExecutionStatus.COMPLETED,
      fromVersion: '2.1.0',
      toVersion: '2.2.2',
      outOfServiceBudget: 2,
      agentsStoppedByHarness: 0,
    },
    finalStatus: ExecutionStatus.COMPLETED,
    fleet: { instances, maxOutOfService: 2 },
    ...over,
  };
}

describe('the fleet log checks', () => {
  it('pass a COMPLETED execution whose every instance was upgraded once', () => {
    expect(checkExecution(outcome())).toEqual([]);
  });

  it('see an instance upgraded twice', () => {
    const violations = checkFleetLog(outcome({}, [instance('a'), instance('b', { upgradesApplied: 2 })]));
    expect(violations).toEqual([{ kind: 'doubled', executionId: 'e1', detail: 'b upgraded 2 times' }]);
  });

  it('see an instance that accepted a call with a stale fencing token', () => {
    const violations = checkFleetLog(outcome({}, [instance('a'), instance('b', { staleCalls: 1 })]));
    expect(violations).toEqual([
      {
        kind: 'stale-fencing',
        executionId: 'e1',
        detail: 'b accepted 1 call(s) with a stale fencing token',
      },
    ]);
  });

  it('see an instance rolled back twice', () => {
    const rolledBack = outcome({ finalStatus: ExecutionStatus.ROLLED_BACK }, [
      instance('a', { version: '2.1.0', rollbacksApplied: 2 }),
    ]);
    expect(checkFleetLog(rolledBack).map((v) => v.kind)).toEqual(['doubled']);
  });

  it('see an instance a COMPLETED execution never upgraded (lost work)', () => {
    const lost = outcome({}, [instance('a'), instance('b', { version: '2.1.0', upgradesApplied: 0 })]);
    expect(checkFleetLog(lost)).toEqual([
      expect.objectContaining({ kind: 'lost', detail: expect.stringContaining('b runs 2.1.0') }),
    ]);
  });

  it('see an upgrade a ROLLED_BACK execution left in place', () => {
    const rolledBack = outcome({ finalStatus: ExecutionStatus.ROLLED_BACK }, [
      instance('a', { version: '2.1.0', upgradesApplied: 1, rollbacksApplied: 1 }),
      instance('b', { version: '2.1.0', upgradesApplied: 0 }),
      instance('c', { version: '2.2.2', upgradesApplied: 1, rollbacksApplied: 0 }),
    ]);
    expect(checkFleetLog(rolledBack)).toEqual([
      expect.objectContaining({ kind: 'lost', detail: expect.stringContaining('c runs 2.2.2') }),
    ]);
  });
});

describe('the terminal status check', () => {
  it('sees an execution that did not end by the deadline', () => {
    expect(checkTerminalStatus(outcome({ finalStatus: null })).map((v) => v.kind)).toEqual(['stuck']);
  });

  it('sees an execution that ended otherwise than an undisturbed run', () => {
    expect(checkTerminalStatus(outcome({ finalStatus: ExecutionStatus.FAILED }))).toEqual([
      expect.objectContaining({ kind: 'wrong-status', detail: expect.stringContaining('ended FAILED') }),
    ]);
  });
});

describe('the out-of-service check', () => {
  it('sees the fleet out of service beyond the budget', () => {
    const over = outcome({ fleet: { instances: [], maxOutOfService: 3 } });
    expect(checkOutOfService(over).map((v) => v.kind)).toEqual(['out-of-service']);
  });

  it('allows one more for each agent the harness stopped itself', () => {
    const base = outcome({ fleet: { instances: [], maxOutOfService: 3 } });
    const allowed = { ...base, expectation: { ...base.expectation, agentsStoppedByHarness: 1 } };
    expect(checkOutOfService(allowed)).toEqual([]);
  });
});

describe('the progress stream check', () => {
  const record = (
    sequence: number,
    kind = 'TranscriptLine',
    content = `c${sequence}`,
    executionId = 'e1',
  ): ProgressRecord => ({
    executionId,
    sequence,
    kind,
    content,
    time: '2026-01-01T00:00:00.000Z',
  });

  it('passes a stream without holes, redeliveries with the same content included', () => {
    expect(
      checkProgressStream([
        record(1, 'ExecutionCreated'),
        record(2),
        record(2),
        record(3),
        record(1, 'ExecutionCreated'),
      ]),
    ).toEqual([]);
  });

  it('sees a hole', () => {
    expect(checkProgressStream([record(1, 'ExecutionCreated'), record(2), record(5)])).toEqual([
      { kind: 'gap', executionId: 'e1', detail: 'sequences 3..4 missing' },
    ]);
  });

  it('sees a hole at the start, before the first event that arrived', () => {
    expect(checkProgressStream([record(3), record(1, 'ExecutionCreated')]).map((v) => v.kind)).toEqual([
      'gap',
    ]);
  });

  it('sees a sequence repeated with other content', () => {
    expect(
      checkProgressStream([
        record(1, 'ExecutionCreated'),
        record(2, 'TranscriptLine', 'x'),
        record(2, 'TranscriptLine', 'y'),
      ]),
    ).toEqual([expect.objectContaining({ kind: 'conflict', detail: expect.stringContaining('sequence 2') })]);
  });

  it('judges each execution on its own', () => {
    const violations = checkProgressStream([
      record(1, 'ExecutionCreated'),
      record(2),
      record(7, 'ExecutionCreated', 'a', 'e2'),
      record(9, 'x', 'b', 'e2'),
    ]);
    expect(violations).toEqual([{ kind: 'gap', executionId: 'e2', detail: 'sequences 8..8 missing' }]);
  });
});

describe('the dead-letter check', () => {
  const letter = { originalTopic: 'upgrade.results', key: 'e1', error: 'InvalidMessageError: bad' };

  it('sees any dead letter nothing explains', () => {
    expect(checkDeadLetters([letter]).map((v) => v.kind)).toEqual(['dlq']);
  });

  it('lets an explained one through', () => {
    expect(checkDeadLetters([letter], () => 'injected by the test')).toEqual([]);
  });
});

describe('the zone coverage check', () => {
  it('names every danger zone no kill landed inside', () => {
    const kills = [
      { kind: 'crash-point', zone: 'commit-publish' as const, landedInside: true },
      { kind: 'broker', zone: 'mid-batch' as const, landedInside: true },
      { kind: 'redis', zone: 'validating' as const, landedInside: false },
      { kind: 'worker', zone: 'rolling-back' as const, landedInside: true },
    ];
    expect(checkZoneCoverage(kills).map((v) => v.detail)).toEqual([
      'no kill landed inside validating',
      'no kill landed inside canary-monitoring',
    ]);
  });
});

describe('percentile', () => {
  it('takes the nearest rank', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([5], 99)).toBe(5);
    expect(percentile([4, 1, 3, 2], 50)).toBe(2);
    expect(percentile([4, 1, 3, 2], 99)).toBe(4);
  });
});
