import type { ExecutionStatus } from '@upshift/contracts';
import { DANGER_ZONES, type DangerZone } from './schedule';

/**
 * The checks a chaos run ends with. Each reads records the orchestrator does not write (the fleet's
 * own counters, what `upgrade.progress` and `upgrade.dlq` carried) and returns the violations it sees.
 */
export type ViolationKind =
  | 'doubled'
  | 'lost'
  | 'stuck'
  | 'wrong-status'
  | 'out-of-service'
  | 'gap'
  | 'conflict'
  | 'stale-fencing'
  | 'dlq'
  | 'zone-missed';

export interface Violation {
  kind: ViolationKind;
  executionId?: string;
  detail: string;
}

/** One instance as the fleet counted it (`GET /admin/instances`). */
export interface FleetInstanceRecord {
  name: string;
  version: string;
  upgradesApplied: number;
  rollbacksApplied: number;
  /** Mutating agent calls the instance accepted although their fencing token was older than one it had seen. */
  staleCalls: number;
}

/**
 * What the fleet of one execution saw. Every execution of a run has a fleet of its own (its own tenant),
 * so the fleet's counters are that execution's, and its log of accepted agent calls with their fencing
 * tokens is that execution's too.
 */
export interface FleetObservation {
  instances: FleetInstanceRecord[];
  /** The most instances out of service at once, as the fleet's recorder saw it. */
  maxOutOfService: number;
}

export interface ExecutionExpectation {
  executionId: string;
  label: string;
  /** The terminal status an undisturbed run of the same seed reaches. */
  expectedStatus: ExecutionStatus;
  fromVersion: string;
  toVersion: string;
  /** maxUnavailable of the request (libs/domain). */
  outOfServiceBudget: number;
  /** Agents the harness itself stopped in this fleet: each may add one out-of-service instance. */
  agentsStoppedByHarness: number;
}

export interface ExecutionOutcome {
  expectation: ExecutionExpectation;
  /** null: not terminal by the deadline. */
  finalStatus: ExecutionStatus | null;
  fleet: FleetObservation;
}

export type FleetLogCheck = (outcome: ExecutionOutcome) => Violation[];

const perInstance = (
  outcome: ExecutionOutcome,
  problem: (instance: FleetInstanceRecord) => { kind: ViolationKind; detail: string } | null,
): Violation[] =>
  outcome.fleet.instances.flatMap((instance) => {
    const found = problem(instance);
    return found ? [{ ...found, executionId: outcome.expectation.executionId }] : [];
  });

/** No instance is upgraded twice by one execution (a redelivered or re-issued command must replay). */
export const upgradedAtMostOnce: FleetLogCheck = (outcome) =>
  perInstance(outcome, (i) =>
    i.upgradesApplied > 1
      ? { kind: 'doubled', detail: `${i.name} upgraded ${i.upgradesApplied} times` }
      : null,
  );

/** No instance is rolled back twice by one execution. */
export const rolledBackAtMostOnce: FleetLogCheck = (outcome) =>
  perInstance(outcome, (i) =>
    i.rollbacksApplied > 1
      ? { kind: 'doubled', detail: `${i.name} rolled back ${i.rollbacksApplied} times` }
      : null,
  );

/**
 * The work the terminal status claims was done: COMPLETED means every instance runs the target,
 * upgraded once; ROLLED_BACK means every instance runs the source again, each applied upgrade undone.
 */
export const workMatchesStatus: FleetLogCheck = (outcome) => {
  const { fromVersion, toVersion } = outcome.expectation;
  if (outcome.finalStatus === 'COMPLETED') {
    return perInstance(outcome, (i) =>
      i.version !== toVersion || i.upgradesApplied === 0
        ? {
            kind: 'lost',
            detail: `${i.name} runs ${i.version} (upgraded ${i.upgradesApplied}×) in a COMPLETED execution to ${toVersion}`,
          }
        : null,
    );
  }
  if (outcome.finalStatus === 'ROLLED_BACK') {
    return perInstance(outcome, (i) =>
      i.version !== fromVersion || i.rollbacksApplied < i.upgradesApplied
        ? {
            kind: 'lost',
            detail: `${i.name} runs ${i.version} (upgraded ${i.upgradesApplied}×, rolled back ${i.rollbacksApplied}×) in a ROLLED_BACK execution from ${fromVersion}`,
          }
        : null,
    );
  }
  return [];
};

/** No agent accepted a call carrying an older fencing token than one it had already seen (ADR 0082). */
export const neverStaleFencing: FleetLogCheck = (outcome) =>
  perInstance(outcome, (i) =>
    i.staleCalls > 0
      ? {
          kind: 'stale-fencing',
          detail: `${i.name} accepted ${i.staleCalls} call(s) with a stale fencing token`,
        }
      : null,
  );

/** The one place the fleet's log is judged: a new check over FleetObservation is one more entry. */
export const FLEET_LOG_CHECKS: readonly FleetLogCheck[] = [
  upgradedAtMostOnce,
  rolledBackAtMostOnce,
  neverStaleFencing,
  workMatchesStatus,
];

export function checkFleetLog(outcome: ExecutionOutcome): Violation[] {
  return FLEET_LOG_CHECKS.flatMap((check) => check(outcome));
}

export function checkTerminalStatus(outcome: ExecutionOutcome): Violation[] {
  const { executionId, expectedStatus, label } = outcome.expectation;
  if (outcome.finalStatus === null)
    return [{ kind: 'stuck', executionId, detail: `${label} not terminal by the deadline` }];
  if (outcome.finalStatus !== expectedStatus)
    return [
      {
        kind: 'wrong-status',
        executionId,
        detail: `${label} ended ${outcome.finalStatus}, an undisturbed run ends ${expectedStatus}`,
      },
    ];
  return [];
}

export function checkOutOfService(outcome: ExecutionOutcome): Violation[] {
  const { executionId, outOfServiceBudget, agentsStoppedByHarness, label } = outcome.expectation;
  const allowed = outOfServiceBudget + agentsStoppedByHarness;
  return outcome.fleet.maxOutOfService > allowed
    ? [
        {
          kind: 'out-of-service',
          executionId,
          detail: `${label}: the fleet saw ${outcome.fleet.maxOutOfService} instances out of service at once; budget ${outOfServiceBudget}${agentsStoppedByHarness > 0 ? ` + ${agentsStoppedByHarness} stopped by the harness` : ''}`,
        },
      ]
    : [];
}

/** One message of `upgrade.progress` as it arrived, redeliveries included. */
export interface ProgressRecord {
  executionId: string;
  sequence: number;
  kind: string;
  /** The envelope's type and data, serialised: what must be the same each time a sequence arrives. */
  content: string;
  /** The envelope's `time`: when the orchestrator committed the change. */
  time: string;
}

/**
 * Per execution: the sequences form one run without holes from the ExecutionCreated event's (or the
 * first seen) to the last, and a sequence that arrives twice carries the same content both times.
 */
export function checkProgressStream(records: readonly ProgressRecord[]): Violation[] {
  const byExecution = new Map<string, ProgressRecord[]>();
  for (const record of records) {
    const list = byExecution.get(record.executionId) ?? [];
    list.push(record);
    byExecution.set(record.executionId, list);
  }
  const violations: Violation[] = [];
  for (const [executionId, list] of byExecution) {
    const contentOf = new Map<number, string>();
    for (const record of list) {
      const seen = contentOf.get(record.sequence);
      if (seen === undefined) contentOf.set(record.sequence, record.content);
      else if (seen !== record.content)
        violations.push({
          kind: 'conflict',
          executionId,
          detail: `sequence ${record.sequence} arrived with different content (${record.kind})`,
        });
    }
    const sequences = [...contentOf.keys()].sort((a, b) => a - b);
    const created = list.find((record) => record.kind === 'ExecutionCreated');
    let expected = created?.sequence ?? sequences[0] ?? 0;
    for (const sequence of sequences) {
      if (sequence < expected) continue;
      if (sequence > expected)
        violations.push({
          kind: 'gap',
          executionId,
          detail: `sequences ${expected}..${sequence - 1} missing`,
        });
      expected = sequence + 1;
    }
  }
  return violations;
}

/** A message of `upgrade.dlq`: its original topic and the consumer's error. */
export interface DeadLetterRecord {
  originalTopic: string;
  key: string | null;
  error: string;
}

/**
 * Every dead letter is a violation unless `explain` accounts for it (a chaos run injects no poison
 * message, so by default none is explained).
 */
export function checkDeadLetters(
  records: readonly DeadLetterRecord[],
  explain: (record: DeadLetterRecord) => string | null = () => null,
): Violation[] {
  return records
    .filter((record) => explain(record) === null)
    .map((record) => ({
      kind: 'dlq' as const,
      detail: `${record.originalTopic} key ${record.key ?? '-'}: ${record.error}`,
    }));
}

/** A kill as the run recorded it, for the zone coverage check. */
export interface KillRecord {
  kind: string;
  zone: DangerZone | null;
  /** Whether the zone was still open when the kill landed (closing event committed after it). */
  landedInside: boolean;
}

/** At least one kill landed inside each danger zone. */
export function checkZoneCoverage(kills: readonly KillRecord[]): Violation[] {
  return DANGER_ZONES.filter((zone) => !kills.some((kill) => kill.zone === zone && kill.landedInside)).map(
    (zone) => ({ kind: 'zone-missed' as const, detail: `no kill landed inside ${zone}` }),
  );
}

export function checkExecution(outcome: ExecutionOutcome): Violation[] {
  return [...checkTerminalStatus(outcome), ...checkFleetLog(outcome), ...checkOutOfService(outcome)];
}

/** Nearest-rank percentile (p in 0..100) of `values`; null when there are none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] ?? null;
}
