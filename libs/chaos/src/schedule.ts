import { seededRandom, type RandomSource } from '@upshift/fleet';

/** What the harness kills with SIGKILL (or an immediate shutdown) and starts again. */
export const SERVICE_KILL_KINDS = ['orchestrator', 'worker', 'broker', 'postgres', 'redis'] as const;
export type ServiceKillKind = (typeof SERVICE_KILL_KINDS)[number];

/**
 * Every kind of disruption a run records: the services above, an agent the fleet stops for a while,
 * and an orchestrator that killed itself at a crash point (ADR 0083).
 */
export type KillKind = ServiceKillKind | 'agent' | 'crash-point';
export const KILL_KINDS: readonly KillKind[] = [...SERVICE_KILL_KINDS, 'agent', 'crash-point'];

/**
 * The moments where a crash hurts most (the repository's crash-safety issue). `commit-publish` is
 * reached through a crash point; the others are opened and closed by `upgrade.progress` events.
 */
export const DANGER_ZONES = [
  'commit-publish',
  'mid-batch',
  'validating',
  'rolling-back',
  'canary-monitoring',
] as const;
export type DangerZone = (typeof DANGER_ZONES)[number];
export type WatchedZone = Exclude<DangerZone, 'commit-publish'>;
export const WATCHED_ZONES: readonly WatchedZone[] = [
  'mid-batch',
  'validating',
  'rolling-back',
  'canary-monitoring',
];

export type KillTrigger = { zone: WatchedZone } | { afterMs: number };

export interface PlannedKill {
  kind: ServiceKillKind;
  trigger: KillTrigger;
  /** Which replica or worker (0 or 1) when that kind has two; the harness takes the other if it is down. */
  target: number;
  /** How long the service stays down before it is started again. */
  downMs: number;
}

export interface RunPlan {
  seed: number;
  run: number;
  kills: PlannedKill[];
  /** The ROLLING execution's batch during which a service kill (zone `mid-batch`) and the agent stop land. */
  midBatch: number;
  /** The agent stopped during `midBatch`: its position in that batch, and for how long. */
  agentStop: { positionInBatch: number; downMs: number };
  /**
   * UPSHIFT_CRASH_POINT of orchestrator replicas 1 and 2 for this run: whichever publishes the outbox
   * dies on that pass, between a commit and its publication.
   */
  crashPoints: [string, string];
  /** Positions (0-based, in name order) of the failing execution's instances whose upgrade fails. */
  failingPositions: number[];
}

/** A generator per (seed, run): run 2 of seed 7 is the same whatever runs 0 and 1 did. */
export function runRandom(seed: number, run: number): RandomSource {
  return seededRandom(Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(run + 1, 0x85ebca6b));
}

function between(random: RandomSource, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

function shuffled<T>(items: readonly T[], random: RandomSource): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/**
 * The run's kills, from the seed alone: each service kind killed once, four of them when a watched
 * danger zone opens (one per zone) and the fifth at a time after the start; the agent stop and the crash
 * points on top. `instancesPerExecution` and `batchSize` bound the positions it picks.
 */
export function planRun(
  seed: number,
  run: number,
  instancesPerExecution: number,
  batchSize: number,
): RunPlan {
  const random = runRandom(seed, run);
  const kinds = shuffled(SERVICE_KILL_KINDS, random);
  const triggers: KillTrigger[] = [
    ...WATCHED_ZONES.map((zone) => ({ zone })),
    { afterMs: between(random, 3_000, 12_000) },
  ];
  const kills = kinds.map((kind, index): PlannedKill => ({
    kind,
    trigger: triggers[index] as KillTrigger,
    target: between(random, 0, 1),
    downMs: between(random, 500, 2_500),
  }));
  const batches = Math.max(1, Math.ceil(instancesPerExecution / batchSize));
  const midBatch = Math.min(batches, between(random, 2, 3));
  const agentStop = {
    positionInBatch: between(random, 0, Math.max(0, batchSize - 1)),
    downMs: between(random, 1_000, 3_000),
  };
  const crashPoints: [string, string] = [
    `outbox.before-publish:${between(random, 20, 80)}`,
    `outbox.after-publish:${between(random, 20, 80)}`,
  ];
  // Past the first two batches, so that some instances are upgraded when the rollback starts.
  const firstFailing = Math.min(instancesPerExecution - 2, 2 * batchSize + between(random, 0, batchSize));
  const failingPositions = [Math.max(0, firstFailing), Math.max(0, firstFailing) + 1].filter(
    (position) => position < instancesPerExecution,
  );
  return { seed, run, kills, midBatch, agentStop, crashPoints, failingPositions };
}
