import { InstanceStatus } from '@upshift/contracts/model';
import type { TransitionResult } from './execution-state-machine';

/**
 * One instance's lifecycle during an upgrade (docs/api-contract.md, "Instance statuses"):
 *
 *   PENDING ─DRAIN_ISSUED→ DRAINING ─DRAINED→ UPGRADING ─UPGRADED→ HEALTH_CHECKING ─HEALTHY→ COMPLETED
 *   DRAINING | UPGRADING | HEALTH_CHECKING ─FAILED→ FAILED
 *   COMPLETED | HEALTH_CHECKING | FAILED ─ROLLED_BACK→ ROLLED_BACK
 *
 * DRAIN_ISSUED is the dispatch (one UPGRADE command for the whole attempt); each later forward event is
 * the orchestrator's reading of a step the worker reported SUCCEEDED (DRAIN, UPGRADE, HEALTH_CHECK:
 * `upgradeStepApplication`); a step reported FAILED is the FAILED event.
 */

const I = InstanceStatus;

export type InstanceEvent = 'DRAIN_ISSUED' | 'DRAINED' | 'UPGRADED' | 'HEALTHY' | 'FAILED' | 'ROLLED_BACK';

export const ALL_INSTANCE_EVENTS: readonly InstanceEvent[] = [
  'DRAIN_ISSUED',
  'DRAINED',
  'UPGRADED',
  'HEALTHY',
  'FAILED',
  'ROLLED_BACK',
];

export interface InstanceEventEdge {
  readonly from: InstanceStatus;
  readonly event: InstanceEvent;
  readonly to: InstanceStatus;
}

export const INSTANCE_EVENTS: readonly InstanceEventEdge[] = [
  { from: I.PENDING, event: 'DRAIN_ISSUED', to: I.DRAINING },
  { from: I.DRAINING, event: 'DRAINED', to: I.UPGRADING },
  { from: I.UPGRADING, event: 'UPGRADED', to: I.HEALTH_CHECKING },
  { from: I.HEALTH_CHECKING, event: 'HEALTHY', to: I.COMPLETED },
  { from: I.DRAINING, event: 'FAILED', to: I.FAILED },
  { from: I.UPGRADING, event: 'FAILED', to: I.FAILED },
  { from: I.HEALTH_CHECKING, event: 'FAILED', to: I.FAILED },
  { from: I.COMPLETED, event: 'ROLLED_BACK', to: I.ROLLED_BACK },
  { from: I.HEALTH_CHECKING, event: 'ROLLED_BACK', to: I.ROLLED_BACK },
  { from: I.FAILED, event: 'ROLLED_BACK', to: I.ROLLED_BACK },
];

/** The same graph as a status → next statuses map, for readers who think in tables. */
export const INSTANCE_TRANSITIONS: ReadonlyMap<InstanceStatus, readonly InstanceStatus[]> = new Map(
  Object.values(InstanceStatus).map((status) => [
    status,
    INSTANCE_EVENTS.filter((edge) => edge.from === status).map((edge) => edge.to),
  ]),
);

export class InvalidInstanceTransitionError extends Error {
  override readonly name = 'InvalidInstanceTransitionError';

  constructor(
    readonly from: InstanceStatus,
    readonly event: InstanceEvent,
    readonly allowedEvents: readonly InstanceEvent[],
  ) {
    super(
      `Cannot apply ${event} to an instance that is ${from}; ` +
        (allowedEvents.length > 0 ? `allowed events: ${allowedEvents.join(', ')}.` : `${from} is final.`),
    );
  }
}

export type InstanceTransitionResult = TransitionResult<InstanceStatus, InvalidInstanceTransitionError>;

export function allowedInstanceEvents(from: InstanceStatus): InstanceEvent[] {
  return INSTANCE_EVENTS.filter((edge) => edge.from === from).map((edge) => edge.event);
}

export function transitionInstance(from: InstanceStatus, event: InstanceEvent): InstanceTransitionResult {
  const edge = INSTANCE_EVENTS.find((candidate) => candidate.from === from && candidate.event === event);
  if (edge) {
    return { ok: true, to: edge.to };
  }
  return { ok: false, error: new InvalidInstanceTransitionError(from, event, allowedInstanceEvents(from)) };
}

/** Statuses in which a command is outstanding: the instance is being worked on. */
export const IN_FLIGHT_STATUSES: readonly InstanceStatus[] = [I.DRAINING, I.UPGRADING, I.HEALTH_CHECKING];

/** Statuses after which the upgrade leaves the instance alone (a rollback may still revert some). */
export const SETTLED_STATUSES: readonly InstanceStatus[] = [I.COMPLETED, I.FAILED, I.ROLLED_BACK];

/**
 * Instances not serving traffic (docs/invariants.md, promise 1): the in-flight ones, and FAILED ones,
 * which are taken out of service by the drain and stay out until rolled back.
 */
export const OUT_OF_SERVICE_STATUSES: readonly InstanceStatus[] = [...IN_FLIGHT_STATUSES, I.FAILED];

/**
 * Statuses a rollback reverts to ROLLED_BACK (docs/api-contract.md: it reverts every upgraded and
 * health-checking instance). FAILED qualifies only when the new version may have been applied, see
 * `needsRollback`.
 */
export const ROLLBACK_TARGET_STATUSES: readonly InstanceStatus[] = [I.COMPLETED, I.HEALTH_CHECKING, I.FAILED];

/** Statuses where a failure means the new version may already be on the instance. */
const FAILURES_AFTER_NEW_VERSION_APPLIED: readonly InstanceStatus[] = [I.UPGRADING, I.HEALTH_CHECKING];

export interface RollbackCandidate {
  status: InstanceStatus;
  /** The status the instance was in when it failed; null or absent when unknown. */
  failedAt?: InstanceStatus | null;
}

/**
 * Whether a rollback must revert this instance. A failure while DRAINING left the old version in
 * place, so there is nothing to revert. When the failing status is unknown, roll back: reverting an
 * instance already on the previous version is harmless, leaving a half-upgraded one is not.
 */
export function needsRollback(instance: RollbackCandidate): boolean {
  if (instance.status === I.FAILED) {
    return instance.failedAt == null || FAILURES_AFTER_NEW_VERSION_APPLIED.includes(instance.failedAt);
  }
  return ROLLBACK_TARGET_STATUSES.includes(instance.status);
}

/** The instances a rollback sends ROLLBACK commands to, in the order given. */
export function instancesToRollBack<T extends RollbackCandidate>(instances: readonly T[]): T[] {
  return instances.filter(needsRollback);
}

export function isInstanceSettled(status: InstanceStatus): boolean {
  return SETTLED_STATUSES.includes(status);
}

export function isOutOfService(status: InstanceStatus): boolean {
  return OUT_OF_SERVICE_STATUSES.includes(status);
}
