/**
 * Crash points (ADR 0083): named places in the code where a chaos run may make the process die at the
 * worst moment, e.g. after an outbox row is committed and read but before it reaches Kafka. They do
 * nothing unless `UPSHIFT_CRASH_POINT` names one: `outbox.before-publish:3` kills the process with
 * SIGKILL the 3rd time that point is passed (`outbox.before-publish` alone means the 1st time).
 */
export const CRASH_POINT_ENV = 'UPSHIFT_CRASH_POINT';

/** Every crash point the code passes; a variable naming another is a start-up error. */
export const CRASH_POINTS = ['outbox.before-publish', 'outbox.after-publish'] as const;
export type CrashPointName = (typeof CRASH_POINTS)[number];

export interface CrashPointSetting {
  name: CrashPointName;
  /** The pass (1-based) on which the process dies. */
  pass: number;
}

/** Parses the variable's value; undefined or empty means "no crash point". Throws on anything else. */
export function parseCrashPoint(value: string | undefined): CrashPointSetting | null {
  if (value === undefined || value.trim() === '') return null;
  const match = /^([a-z][a-z0-9.-]*)(?::(\d+))?$/.exec(value.trim());
  if (!match) {
    throw new Error(`${CRASH_POINT_ENV} must be <name> or <name>:<pass> (e.g. outbox.before-publish:3)`);
  }
  const name = match[1] ?? '';
  if (!(CRASH_POINTS as readonly string[]).includes(name)) {
    throw new Error(`${CRASH_POINT_ENV} names no crash point (known: ${CRASH_POINTS.join(', ')})`);
  }
  const pass = match[2] === undefined ? 1 : Number(match[2]);
  if (!Number.isSafeInteger(pass) || pass < 1) {
    throw new Error(`${CRASH_POINT_ENV}: the pass must be a whole number >= 1`);
  }
  return { name: name as CrashPointName, pass };
}

/** What dies at a crash point: the process itself, with no chance to clean up (tests inject another). */
export type CrashKiller = (setting: CrashPointSetting) => void;

const killThisProcess: CrashKiller = (setting) => {
  // One line on stderr so that a harness (and a person reading the log) can tell this death from others.
  process.stderr.write(`crash point ${setting.name} reached (pass ${setting.pass}); SIGKILL\n`);
  process.kill(process.pid, 'SIGKILL');
};

/** Counts passes of the one armed crash point and calls `killer` on the chosen pass. */
export class CrashPoints {
  private passes = 0;

  constructor(
    private readonly setting: CrashPointSetting | null,
    private readonly killer: CrashKiller = killThisProcess,
  ) {}

  static fromEnv(env: NodeJS.ProcessEnv = process.env, killer?: CrashKiller): CrashPoints {
    return new CrashPoints(parseCrashPoint(env[CRASH_POINT_ENV]), killer);
  }

  get armed(): CrashPointSetting | null {
    return this.setting;
  }

  pass(name: CrashPointName): void {
    if (this.setting === null || this.setting.name !== name) return;
    this.passes += 1;
    if (this.passes === this.setting.pass) this.killer(this.setting);
  }
}

let processCrashPoints: CrashPoints | null = null;

/**
 * The process's crash points, read from the environment once. Services call it while they start (the
 * outbox relay's constructor does), so that a bad value stops the start-up instead of a later pass.
 */
export function processCrashPointsFromEnv(): CrashPoints {
  processCrashPoints ??= CrashPoints.fromEnv();
  return processCrashPoints;
}

/** Marks a crash point: nothing happens unless UPSHIFT_CRASH_POINT names it (see above). */
export function crashPoint(name: CrashPointName): void {
  processCrashPointsFromEnv().pass(name);
}
