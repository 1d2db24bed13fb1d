import { CRASH_POINT_ENV, CrashPoints, parseCrashPoint, type CrashPointSetting } from './crash-point';

describe('parseCrashPoint', () => {
  it('reads nothing from an unset or empty variable', () => {
    expect(parseCrashPoint(undefined)).toBeNull();
    expect(parseCrashPoint('')).toBeNull();
    expect(parseCrashPoint('  ')).toBeNull();
  });

  it('reads a name and a pass, the 1st pass when none is given', () => {
    expect(parseCrashPoint('outbox.before-publish:3')).toEqual({ name: 'outbox.before-publish', pass: 3 });
    expect(parseCrashPoint('outbox.after-publish')).toEqual({ name: 'outbox.after-publish', pass: 1 });
  });

  it.each([
    ['an unknown name', 'outbox.somewhere:2', /names no crash point/],
    ['a pass of 0', 'outbox.before-publish:0', /whole number >= 1/],
    ['a negative pass', 'outbox.before-publish:-1', /must be <name> or <name>:<pass>/],
    ['a pass that is not a number', 'outbox.before-publish:x', /must be <name> or <name>:<pass>/],
    ['two passes', 'outbox.before-publish:1:2', /must be <name> or <name>:<pass>/],
  ])('refuses %s', (_case, value, message) => {
    expect(() => parseCrashPoint(value)).toThrow(message);
  });

  it('names the variable in its errors', () => {
    expect(() => parseCrashPoint('nope:1')).toThrow(CRASH_POINT_ENV);
  });
});

describe('CrashPoints', () => {
  const killed: CrashPointSetting[] = [];
  const killer = (setting: CrashPointSetting) => killed.push(setting);
  beforeEach(() => killed.splice(0));

  it('kills on the chosen pass of the armed point only, once', () => {
    const points = new CrashPoints({ name: 'outbox.before-publish', pass: 3 }, killer);
    points.pass('outbox.before-publish');
    points.pass('outbox.after-publish');
    points.pass('outbox.before-publish');
    expect(killed).toEqual([]);
    points.pass('outbox.before-publish');
    expect(killed).toEqual([{ name: 'outbox.before-publish', pass: 3 }]);
    points.pass('outbox.before-publish');
    expect(killed).toHaveLength(1);
  });

  it('does nothing when no point is armed', () => {
    const points = CrashPoints.fromEnv({}, killer);
    expect(points.armed).toBeNull();
    for (let i = 0; i < 5; i += 1) points.pass('outbox.after-publish');
    expect(killed).toEqual([]);
  });

  it('is armed from the environment, and refuses a bad value there', () => {
    const points = CrashPoints.fromEnv({ [CRASH_POINT_ENV]: 'outbox.after-publish:2' }, killer);
    points.pass('outbox.after-publish');
    points.pass('outbox.after-publish');
    expect(killed).toEqual([{ name: 'outbox.after-publish', pass: 2 }]);
    expect(() => CrashPoints.fromEnv({ [CRASH_POINT_ENV]: 'outbox.before-publish:zero' }, killer)).toThrow(
      CRASH_POINT_ENV,
    );
  });
});
