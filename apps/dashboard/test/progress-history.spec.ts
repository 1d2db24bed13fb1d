import { applyProgress, changesExecutionView, EMPTY_HISTORY } from '../src/progress-history';
import type { ProgressEnvelope, ProgressHistory } from '../src/progress-history';

let sequence = 0;
function event(
  data: ProgressEnvelope['data'],
  time = `2026-01-01T00:00:${String(sequence).padStart(2, '0')}Z`,
) {
  sequence += 1;
  return {
    id: `e${sequence}`,
    time,
    executionid: 'x',
    tenantid: 't',
    sequence,
    data,
  } satisfies ProgressEnvelope;
}
const replay = (events: ProgressEnvelope[]): ProgressHistory => events.reduce(applyProgress, EMPTY_HISTORY);

/** The execution page's history, built from the replayed event stream (docs/api-contract.md, "Event streams"). */
describe('applyProgress', () => {
  beforeEach(() => (sequence = 0));

  it('builds the status timeline from the creation and each status change, with their reasons', () => {
    const history = replay([
      event({ kind: 'ExecutionCreated', status: 'PENDING' }),
      event({ kind: 'ExecutionStatusChanged', from: 'PENDING', to: 'VALIDATING', reason: 'checks started' }),
      event({ kind: 'ExecutionStatusChanged', from: 'VALIDATING', to: 'IN_PROGRESS', reason: null }),
    ]);
    expect(history.statuses).toEqual([
      { status: 'PENDING', at: '2026-01-01T00:00:00Z', reason: null },
      { status: 'VALIDATING', at: '2026-01-01T00:00:01Z', reason: 'checks started' },
      { status: 'IN_PROGRESS', at: '2026-01-01T00:00:02Z', reason: null },
    ]);
    expect(history.sequence).toBe(3);
  });

  it('keeps the latest state of each instance, canary checks in order, and transcript lines', () => {
    const history = replay([
      event({
        kind: 'InstanceStatusChanged',
        instanceId: 'a',
        from: 'PENDING',
        to: 'UPGRADING',
        batch: 1,
        error: null,
      }),
      event({ kind: 'CanaryHealthReported', healthy: 1, unhealthy: 1, instanceIds: ['a', 'b'] }),
      event({
        kind: 'InstanceStatusChanged',
        instanceId: 'a',
        from: 'UPGRADING',
        to: 'FAILED',
        batch: 1,
        error: 'boom',
      }),
      event({ kind: 'CanaryHealthReported', healthy: 2, unhealthy: 0, instanceIds: ['a', 'b'] }),
      event({ kind: 'TranscriptLine', line: 'Batch 1 finished' }),
      event({ kind: 'BatchStarted', batch: 2, instanceIds: [] }),
    ]);
    expect(history.instances.get('a')).toEqual({ status: 'FAILED', batch: 1, error: 'boom' });
    expect(history.canary.map((c) => [c.healthy, c.unhealthy])).toEqual([
      [1, 1],
      [2, 0],
    ]);
    expect(history.transcript).toEqual([{ at: '2026-01-01T00:00:04Z', line: 'Batch 1 finished' }]);
  });

  it('pairs a rollback start with its completion', () => {
    const history = replay([
      event({
        kind: 'RollbackStarted',
        reason: 'threshold',
        initiatedBy: 'system:auto-rollback',
        instanceIds: ['a', 'b'],
      }),
      event({ kind: 'RollbackCompleted', rolledBackInstances: ['a', 'b'], failedInstances: [] }),
    ]);
    expect(history.rollbacks).toEqual([
      {
        at: '2026-01-01T00:00:00Z',
        reason: 'threshold',
        initiatedBy: 'system:auto-rollback',
        instances: 2,
        completedAt: '2026-01-01T00:00:01Z',
        rolledBack: 2,
        failed: 0,
      },
    ]);
  });

  it('ignores an event it already applied (a repeated or older sequence), so a resumed stream cannot double a line', () => {
    const line = event({ kind: 'TranscriptLine', line: 'once' });
    const once = replay([line]);
    expect(applyProgress(once, line)).toBe(once);
    expect(applyProgress(once, { ...line, sequence: 0 })).toBe(once);
  });

  it('re-reads the execution for status, batch and rollback events, not for each instance or line', () => {
    for (const kind of [
      'ExecutionStatusChanged',
      'BatchStarted',
      'BatchCompleted',
      'RollbackStarted',
      'RollbackCompleted',
    ]) {
      expect(changesExecutionView(kind)).toBe(true);
    }
    for (const kind of [
      'InstanceStatusChanged',
      'TranscriptLine',
      'CanaryHealthReported',
      'ValidationCheckCompleted',
    ]) {
      expect(changesExecutionView(kind)).toBe(false);
    }
  });
});
