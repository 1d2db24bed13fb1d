import { CommandOutcome, InstanceCommandType, InstanceStatus, InstanceStep } from '@upshift/contracts/model';
import fc from 'fast-check';
import { awaitedStep, onCommandDeadline, upgradeStepApplication } from './command-steps';
import type { StepApplication } from './command-steps';
import { transitionInstance } from './instance-state-machine';

const I = InstanceStatus;
const P = InstanceStep;
const OK = CommandOutcome.SUCCEEDED;
const KO = CommandOutcome.FAILED;

describe('upgradeStepApplication: one row per status and step', () => {
  it.each<[InstanceStatus, InstanceStep, CommandOutcome, StepApplication]>([
    [I.DRAINING, P.DRAIN, OK, { kind: 'APPLY', events: ['DRAINED'], settlesCommand: false }],
    [I.DRAINING, P.DRAIN, KO, { kind: 'APPLY', events: ['FAILED'], settlesCommand: true }],
    [I.DRAINING, P.UPGRADE, OK, { kind: 'APPLY', events: ['DRAINED', 'UPGRADED'], settlesCommand: false }],
    [I.DRAINING, P.UPGRADE, KO, { kind: 'APPLY', events: ['DRAINED', 'FAILED'], settlesCommand: true }],
    [
      I.DRAINING,
      P.HEALTH_CHECK,
      OK,
      { kind: 'APPLY', events: ['DRAINED', 'UPGRADED', 'HEALTHY'], settlesCommand: true },
    ],
    [I.UPGRADING, P.DRAIN, OK, { kind: 'ALREADY_APPLIED' }],
    [I.UPGRADING, P.DRAIN, KO, { kind: 'ALREADY_APPLIED' }],
    [I.UPGRADING, P.UPGRADE, OK, { kind: 'APPLY', events: ['UPGRADED'], settlesCommand: false }],
    [I.UPGRADING, P.UPGRADE, KO, { kind: 'APPLY', events: ['FAILED'], settlesCommand: true }],
    [I.HEALTH_CHECKING, P.UPGRADE, OK, { kind: 'ALREADY_APPLIED' }],
    [I.HEALTH_CHECKING, P.HEALTH_CHECK, OK, { kind: 'APPLY', events: ['HEALTHY'], settlesCommand: true }],
    [I.HEALTH_CHECKING, P.HEALTH_CHECK, KO, { kind: 'APPLY', events: ['FAILED'], settlesCommand: true }],
  ])('%s + %s %s', (status, step, outcome, expected) => {
    expect(upgradeStepApplication(status, { step, outcome })).toEqual(expected);
  });

  it.each<[InstanceStatus, InstanceStep]>([
    [I.PENDING, P.DRAIN],
    [I.COMPLETED, P.HEALTH_CHECK],
    [I.FAILED, P.UPGRADE],
    [I.ROLLED_BACK, P.DRAIN],
    [I.DRAINING, P.ROLLBACK],
  ])('refuses %s + %s: no UPGRADE can be running there', (status, step) => {
    expect(() => upgradeStepApplication(status, { step, outcome: OK })).toThrow(
      `an UPGRADE step ${step} cannot apply to an instance that is ${status}`,
    );
  });

  it('any sequence of reports, replayed in any amount, applies each step once and in order', () => {
    const report = fc.record({
      step: fc.constantFrom(P.DRAIN, P.UPGRADE, P.HEALTH_CHECK),
      outcome: fc.constantFrom(OK, OK, OK, KO),
    });
    fc.assert(
      fc.property(fc.array(report, { maxLength: 12 }), (reports) => {
        let status: InstanceStatus = I.DRAINING;
        const events: string[] = [];
        let settled = false;
        for (const r of reports) {
          if (settled) break;
          const application = upgradeStepApplication(status, r);
          if (application.kind === 'ALREADY_APPLIED') continue;
          for (const event of application.events) {
            const moved = transitionInstance(status, event);
            if (!moved.ok) throw moved.error;
            status = moved.to;
            events.push(event);
          }
          settled = application.settlesCommand;
        }
        // Each forward event at most once, in table order, and FAILED only as the last one.
        const forward = events.filter((e) => e !== 'FAILED');
        expect(forward).toEqual(['DRAINED', 'UPGRADED', 'HEALTHY'].slice(0, forward.length));
        if (events.includes('FAILED')) expect(events[events.length - 1]).toBe('FAILED');
        expect(settled).toBe(status === I.COMPLETED || status === I.FAILED);
      }),
    );
  });
});

describe('awaitedStep: what an in-flight command waits for', () => {
  it.each<[InstanceCommandType, InstanceStatus, InstanceStep]>([
    [InstanceCommandType.UPGRADE, I.DRAINING, P.DRAIN],
    [InstanceCommandType.UPGRADE, I.UPGRADING, P.UPGRADE],
    [InstanceCommandType.UPGRADE, I.HEALTH_CHECKING, P.HEALTH_CHECK],
    [InstanceCommandType.ROLLBACK, I.HEALTH_CHECKING, P.ROLLBACK],
    [InstanceCommandType.ROLLBACK, I.COMPLETED, P.ROLLBACK],
  ])('%s while %s waits for %s', (type, status, step) => {
    expect(awaitedStep(type, status)).toBe(step);
  });
});

describe('onCommandDeadline', () => {
  const limits = { maxAttempts: 3, deadlineSeconds: 95 };

  it('issues a command never answered again, until the last attempt', () => {
    const silent = { type: InstanceCommandType.UPGRADE, status: I.DRAINING, stepsApplied: 0 };
    expect(onCommandDeadline({ ...silent, attempt: 1 }, limits)).toEqual({ kind: 'REISSUE' });
    expect(onCommandDeadline({ ...silent, attempt: 2 }, limits)).toEqual({ kind: 'REISSUE' });
    expect(onCommandDeadline({ ...silent, attempt: 3 }, limits)).toEqual({
      kind: 'FAIL',
      reason: 'no answer to UPGRADE after 3 attempt(s)',
    });
    const rollback = { type: InstanceCommandType.ROLLBACK, status: I.COMPLETED, stepsApplied: 0 };
    expect(onCommandDeadline({ ...rollback, attempt: 1 }, limits)).toEqual({ kind: 'REISSUE' });
    expect(onCommandDeadline({ ...rollback, attempt: 3 }, limits)).toEqual({
      kind: 'FAIL',
      reason: 'no answer to ROLLBACK after 3 attempt(s)',
    });
  });

  it('fails a command that answered some steps but not the last, naming the step it waits for', () => {
    const halfway = { type: InstanceCommandType.UPGRADE, stepsApplied: 1, attempt: 1 };
    expect(onCommandDeadline({ ...halfway, status: I.UPGRADING }, limits)).toEqual({
      kind: 'FAIL',
      reason: 'no upgrade result within 95s',
    });
    expect(onCommandDeadline({ ...halfway, status: I.HEALTH_CHECKING, stepsApplied: 2 }, limits)).toEqual({
      kind: 'FAIL',
      reason: 'no health-check result within 95s',
    });
  });
});
