import {
  CommandOutcome,
  InstanceCommandType,
  InstanceStep,
  type InstanceCommand,
  type InstanceCommandResult,
  type InstanceStepReport,
} from '@upshift/contracts';
import { StepReporter } from './step-reporter';

const command = {
  commandId: '3f2c1a9e-8d7b-4c6a-9e5f-1a2b3c4d5e6f',
  executionId: '7d0c1c9e-5f0a-4a39-9a55-0d1f7f1b2c3d',
  tenantId: '550e8400',
  instanceId: 'b5c1f0de-8d5e-4f3e-9a63-7e1b9c0d2a41',
  type: InstanceCommandType.UPGRADE,
  fencingToken: 12,
} as InstanceCommand;

const step = (name: InstanceStep): InstanceStepReport => ({
  step: name,
  outcome: CommandOutcome.SUCCEEDED,
  reason: null,
  observedVersion: '2.0.0',
  startedAt: '2026-12-02T10:00:00.000Z',
  finishedAt: '2026-12-02T10:00:00.100Z',
});

/** A publisher whose sends complete only when the test says so, in any order. */
function controlledPublisher() {
  const sent: { report: InstanceCommandResult; ack: () => void; fail: (e: Error) => void }[] = [];
  const publish = (report: InstanceCommandResult) =>
    new Promise<void>((resolve, reject) => sent.push({ report, ack: resolve, fail: reject }));
  return { sent, publish };
}

/** Lets pending promise callbacks run (setImmediate is left real). */
const flushMicrotasks = () => new Promise((resolve) => setImmediate(resolve));

describe('StepReporter: coalesced step reports (ADR 0082)', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate'] }));
  afterEach(() => jest.useRealTimers());

  it('folds the steps that end within the window into one report, and the last report is final', async () => {
    const { sent, publish } = controlledPublisher();
    const reporter = new StepReporter(command, 'w1', 250, publish);
    reporter.stepEnded(step(InstanceStep.DRAIN));
    reporter.stepEnded(step(InstanceStep.UPGRADE));
    reporter.stepEnded(step(InstanceStep.HEALTH_CHECK), true);
    const finished = reporter.finish();
    await flushMicrotasks();
    expect(sent.map((s) => [s.report.final, s.report.steps.map((x) => x.step)])).toEqual([
      [true, [InstanceStep.DRAIN, InstanceStep.UPGRADE, InstanceStep.HEALTH_CHECK]],
    ]);
    expect(sent[0]?.report).toMatchObject({ commandId: command.commandId, fencingToken: 12, workerId: 'w1' });
    sent[0]?.ack();
    await finished;
    expect(reporter.reportCount).toBe(1);
  });

  it('reports a step when its window closes; the window opens with the first unreported step and does not slide', async () => {
    const { sent, publish } = controlledPublisher();
    const reporter = new StepReporter(command, 'w1', 250, publish);
    reporter.stepEnded(step(InstanceStep.DRAIN));
    jest.advanceTimersByTime(200);
    reporter.stepEnded(step(InstanceStep.UPGRADE));
    jest.advanceTimersByTime(50);
    await flushMicrotasks();
    expect(sent.map((s) => [s.report.final, s.report.steps.map((x) => x.step)])).toEqual([
      [false, [InstanceStep.DRAIN, InstanceStep.UPGRADE]],
    ]);
    reporter.stepEnded(step(InstanceStep.HEALTH_CHECK), true);
    const finished = reporter.finish();
    sent[0]?.ack();
    await flushMicrotasks();
    expect(sent.map((s) => [s.report.final, s.report.steps.map((x) => x.step)])).toEqual([
      [false, [InstanceStep.DRAIN, InstanceStep.UPGRADE]],
      [true, [InstanceStep.HEALTH_CHECK]],
    ]);
    sent[1]?.ack();
    await finished;
    // What the cache keeps and a redelivery replays: every step, final.
    expect(reporter.complete()).toMatchObject({
      final: true,
      steps: [
        { step: InstanceStep.DRAIN },
        { step: InstanceStep.UPGRADE },
        { step: InstanceStep.HEALTH_CHECK },
      ],
    });
  });

  it('holds the last step, and the steps still waiting, for the final report, whose window never closes first', async () => {
    const { sent, publish } = controlledPublisher();
    const reporter = new StepReporter(command, 'w1', 250, publish);
    reporter.stepEnded(step(InstanceStep.DRAIN));
    jest.advanceTimersByTime(200);
    reporter.stepEnded(step(InstanceStep.UPGRADE));
    reporter.stepEnded(step(InstanceStep.HEALTH_CHECK), true);
    // The worker frees the instance (a Redis round trip) before it sends the final report.
    jest.advanceTimersByTime(500);
    await flushMicrotasks();
    expect(sent).toEqual([]);
    const finished = reporter.finish();
    await flushMicrotasks();
    expect(sent.map((s) => [s.report.final, s.report.steps.map((x) => x.step)])).toEqual([
      [true, [InstanceStep.DRAIN, InstanceStep.UPGRADE, InstanceStep.HEALTH_CHECK]],
    ]);
    sent[0]?.ack();
    await finished;
  });

  it('sends a report only after the previous one was acknowledged, so they reach the topic in order', async () => {
    const { sent, publish } = controlledPublisher();
    const reporter = new StepReporter(command, 'w1', 250, publish);
    reporter.stepEnded(step(InstanceStep.DRAIN));
    jest.advanceTimersByTime(250);
    reporter.stepEnded(step(InstanceStep.UPGRADE));
    const finished = reporter.finish();
    await flushMicrotasks();
    expect(sent).toHaveLength(1);
    sent[0]?.ack();
    await flushMicrotasks();
    expect(sent).toHaveLength(2);
    sent[1]?.ack();
    await finished;
  });

  it('rejects finish when a report could not be published, and sends nothing after it', async () => {
    const { sent, publish } = controlledPublisher();
    const reporter = new StepReporter(command, 'w1', 250, publish);
    reporter.stepEnded(step(InstanceStep.DRAIN));
    jest.advanceTimersByTime(250);
    reporter.stepEnded(step(InstanceStep.UPGRADE));
    const finished = reporter.finish();
    await flushMicrotasks();
    sent[0]?.fail(new Error('broker gone'));
    await expect(finished).rejects.toThrow('broker gone');
    expect(sent).toHaveLength(1);
  });

  it('drops unreported steps when cancelled (a lost lease, a shutdown)', async () => {
    const { sent, publish } = controlledPublisher();
    const reporter = new StepReporter(command, 'w1', 250, publish);
    reporter.stepEnded(step(InstanceStep.DRAIN));
    reporter.cancel();
    jest.advanceTimersByTime(1000);
    await flushMicrotasks();
    expect(sent).toEqual([]);
  });

  it('repeats the last step in the final report when every step was reported already (last step not flagged)', async () => {
    const { sent, publish } = controlledPublisher();
    const reporter = new StepReporter(command, 'w1', 0, publish);
    reporter.stepEnded(step(InstanceStep.ROLLBACK));
    jest.advanceTimersByTime(0);
    await flushMicrotasks();
    sent[0]?.ack();
    const finished = reporter.finish();
    await flushMicrotasks();
    expect(sent.map((s) => [s.report.final, s.report.steps.map((x) => x.step)])).toEqual([
      [false, [InstanceStep.ROLLBACK]],
      [true, [InstanceStep.ROLLBACK]],
    ]);
    sent[1]?.ack();
    await finished;
  });
});
