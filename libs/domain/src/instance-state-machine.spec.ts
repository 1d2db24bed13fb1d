import { InstanceStatus } from '@upshift/contracts/model';
import fc from 'fast-check';
import {
  ALL_INSTANCE_EVENTS,
  INSTANCE_TRANSITIONS,
  InvalidInstanceTransitionError,
  OUT_OF_SERVICE_STATUSES,
  ROLLBACK_TARGET_STATUSES,
  SETTLED_STATUSES,
  instancesToRollBack,
  isInstanceSettled,
  isOutOfService,
  needsRollback,
  transitionInstance,
} from './instance-state-machine';
import type { InstanceEvent } from './instance-state-machine';

const I = InstanceStatus;

describe('instance state machine', () => {
  it.each<[string, InstanceStatus, InstanceEvent, InstanceStatus]>([
    ['a drain command takes a pending instance to draining', I.PENDING, 'DRAIN_ISSUED', I.DRAINING],
    ['a drained instance is upgraded next', I.DRAINING, 'DRAINED', I.UPGRADING],
    ['an upgraded instance is health-checked next', I.UPGRADING, 'UPGRADED', I.HEALTH_CHECKING],
    ['a healthy instance is completed', I.HEALTH_CHECKING, 'HEALTHY', I.COMPLETED],
    ['a failed drain fails the instance', I.DRAINING, 'FAILED', I.FAILED],
    ['a failed upgrade fails the instance', I.UPGRADING, 'FAILED', I.FAILED],
    ['a failed health check fails the instance', I.HEALTH_CHECKING, 'FAILED', I.FAILED],
    ['a completed instance can be rolled back', I.COMPLETED, 'ROLLED_BACK', I.ROLLED_BACK],
    ['a health-checking instance can be rolled back', I.HEALTH_CHECKING, 'ROLLED_BACK', I.ROLLED_BACK],
    ['a failed instance can be rolled back', I.FAILED, 'ROLLED_BACK', I.ROLLED_BACK],
  ])('%s', (_rule, from, event, to) => {
    expect(transitionInstance(from, event)).toEqual({ ok: true, to });
  });

  it.each<[string, InstanceStatus, InstanceEvent]>([
    ['a pending instance cannot fail before it was touched', I.PENDING, 'FAILED'],
    ['steps cannot be skipped', I.PENDING, 'UPGRADED'],
    ['a completed instance does not fail afterwards', I.COMPLETED, 'FAILED'],
    ['a rolled-back instance is final', I.ROLLED_BACK, 'DRAIN_ISSUED'],
    ['an instance mid-upgrade is not rolled back before its command settles', I.UPGRADING, 'ROLLED_BACK'],
    ['a draining instance has nothing to roll back', I.DRAINING, 'ROLLED_BACK'],
  ])('%s', (_rule, from, event) => {
    const result = transitionInstance(from, event);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(InvalidInstanceTransitionError);
    expect(result.error.from).toBe(from);
    expect(result.error.event).toBe(event);
  });

  it('refusals list the events that are allowed', () => {
    const result = transitionInstance(I.UPGRADING, 'HEALTHY');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.allowedEvents).toEqual(['UPGRADED', 'FAILED']);
    expect(result.error.message).toBe(
      'Cannot apply HEALTHY to an instance that is UPGRADING; allowed events: UPGRADED, FAILED.',
    );
    const final = transitionInstance(I.ROLLED_BACK, 'HEALTHY');
    expect(final.ok ? '' : final.error.message).toContain('ROLLED_BACK is final');
  });

  it('the transition map lists every status and its next statuses', () => {
    expect(INSTANCE_TRANSITIONS.get(I.PENDING)).toEqual([I.DRAINING]);
    expect(INSTANCE_TRANSITIONS.get(I.HEALTH_CHECKING)).toEqual([I.COMPLETED, I.FAILED, I.ROLLED_BACK]);
    expect(INSTANCE_TRANSITIONS.get(I.ROLLED_BACK)).toEqual([]);
    expect(INSTANCE_TRANSITIONS.size).toBe(7);
  });

  it('out-of-service statuses are the in-flight ones plus failed', () => {
    expect(OUT_OF_SERVICE_STATUSES).toEqual([I.DRAINING, I.UPGRADING, I.HEALTH_CHECKING, I.FAILED]);
    expect(isOutOfService(I.FAILED)).toBe(true);
    expect(isOutOfService(I.ROLLED_BACK)).toBe(false);
    expect(isOutOfService(I.PENDING)).toBe(false);
  });

  it('settled statuses are completed, failed and rolled back', () => {
    expect(SETTLED_STATUSES).toEqual([I.COMPLETED, I.FAILED, I.ROLLED_BACK]);
    expect(isInstanceSettled(I.HEALTH_CHECKING)).toBe(false);
  });

  describe('which instances a rollback reverts', () => {
    it('targets completed, health-checking and some failed instances', () => {
      expect(ROLLBACK_TARGET_STATUSES).toEqual([I.COMPLETED, I.HEALTH_CHECKING, I.FAILED]);
    });

    it.each<[string, InstanceStatus, InstanceStatus | null | undefined, boolean]>([
      ['a completed instance is reverted', I.COMPLETED, undefined, true],
      ['a health-checking instance is reverted', I.HEALTH_CHECKING, undefined, true],
      ['an instance that failed while upgrading is reverted', I.FAILED, I.UPGRADING, true],
      ['an instance that failed its health check is reverted', I.FAILED, I.HEALTH_CHECKING, true],
      ['an instance that failed while draining kept the old version', I.FAILED, I.DRAINING, false],
      ['an instance that failed at an unknown step is reverted to be safe', I.FAILED, null, true],
      ['a pending instance never got the new version', I.PENDING, undefined, false],
      ['a draining instance never got the new version', I.DRAINING, undefined, false],
      ['an instance mid-upgrade settles first', I.UPGRADING, undefined, false],
      ['a rolled-back instance is not reverted twice', I.ROLLED_BACK, undefined, false],
    ])('%s', (_rule, status, failedAt, expected) => {
      expect(needsRollback({ status, failedAt })).toBe(expected);
    });

    it('instancesToRollBack keeps order and the caller’s fields', () => {
      const instances = [
        { id: 'a', status: I.COMPLETED },
        { id: 'b', status: I.PENDING },
        { id: 'c', status: I.FAILED, failedAt: I.DRAINING },
        { id: 'd', status: I.FAILED, failedAt: I.HEALTH_CHECKING },
      ];
      expect(instancesToRollBack(instances).map((instance) => instance.id)).toEqual(['a', 'd']);
    });
  });

  describe('property: any sequence of worker results ends in a terminal status', () => {
    const FORWARD: Partial<Record<InstanceStatus, InstanceEvent>> = {
      [I.DRAINING]: 'DRAINED',
      [I.UPGRADING]: 'UPGRADED',
      [I.HEALTH_CHECKING]: 'HEALTHY',
    };

    it('drives each instance to COMPLETED or FAILED within three results, and remembers where it failed', () => {
      fc.assert(
        fc.property(fc.array(fc.boolean(), { minLength: 3, maxLength: 10 }), (results) => {
          const issued = transitionInstance(I.PENDING, 'DRAIN_ISSUED');
          if (!issued.ok) throw issued.error;
          let status = issued.to;
          let failedAt: InstanceStatus | null = null;
          let used = 0;
          for (const succeeded of results) {
            const forward = FORWARD[status];
            if (!forward) break;
            const event: InstanceEvent = succeeded ? forward : 'FAILED';
            const next = transitionInstance(status, event);
            if (!next.ok) throw next.error;
            if (event === 'FAILED') failedAt = status;
            status = next.to;
            used++;
          }
          expect([I.COMPLETED, I.FAILED]).toContain(status);
          expect(used).toBeLessThanOrEqual(3);
          expect(isInstanceSettled(status)).toBe(true);
          // Whatever happened, a rollback afterwards either applies or is not needed; it always ends settled.
          if (needsRollback({ status, failedAt })) {
            const reverted = transitionInstance(status, 'ROLLED_BACK');
            expect(reverted).toEqual({ ok: true, to: I.ROLLED_BACK });
          }
        }),
      );
    });

    it('no event leads out of ROLLED_BACK', () => {
      for (const event of ALL_INSTANCE_EVENTS) {
        expect(transitionInstance(I.ROLLED_BACK, event).ok).toBe(false);
      }
    });
  });
});
