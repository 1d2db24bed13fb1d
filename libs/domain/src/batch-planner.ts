import { ExecutionStatus, InstanceStatus, UpgradeStrategy } from '@upshift/contracts/model';
import { IN_FLIGHT_STATUSES } from './instance-state-machine';
import { STRATEGY_RULES } from './strategy-rules';

/**
 * The batch planner: a pure function from an execution's settings and its instances' statuses to the
 * one thing to do next. The orchestrator applies the decision in a transaction and asks again whenever
 * an instance settles, a delay expires or an operator acts. Strategy-specific sizing lives in
 * `STRATEGY_RULES` (ADR 0002); the unavailability budget here applies to every strategy.
 */

export type PlanPhase = 'CANARY' | 'ROLLOUT';

export interface PlanInput {
  strategy: UpgradeStrategy;
  totalInstances: number;
  batchSize: number;
  batchDelaySeconds: number;
  maxUnavailablePercentage: number;
  canaryPercentage: number;
  /** CANARY strategy only: 'CANARY' until the execution first enters IN_PROGRESS (see `planPhaseAfter`). */
  phase: PlanPhase;
  /** When the last batch's final instance settled; null before the first batch has ended. */
  lastBatchCompletedAt: Date | null;
  /** The number of the last batch started, 0 before the first. */
  currentBatch: number;
  /**
   * STAGED only: how many stages the operator has approved with /resume (see `completedStages`).
   * Absent means 0: the first stage needs no approval beyond /start.
   */
  approvedStages?: number;
}

export interface PlannerInstance {
  id: string;
  status: InstanceStatus;
  /** The batch that took it, null while not yet planned. */
  batch: number | null;
  failedAt?: InstanceStatus | null;
}

export type PlanDecision =
  | { kind: 'START_BATCH'; batch: number; instanceIds: string[] }
  | { kind: 'WAIT_FOR_INSTANCES' }
  | { kind: 'WAIT_UNTIL'; at: Date }
  | { kind: 'CANARY_PHASE_DONE' }
  | { kind: 'STAGE_DONE'; stage: number }
  | { kind: 'BLOCKED'; reason: string }
  | { kind: 'ALL_DONE'; completed: number; failed: number };

/** The invariant's bound: at least one instance may always be out of service, or nothing could move. */
export function maxUnavailable(total: number, maxUnavailablePercentage: number): number {
  return Math.max(1, Math.floor((total * maxUnavailablePercentage) / 100));
}

/**
 * docs/api-contract.md, "Canary": 10 % of 20 = 2; rounds up so that any positive percentage yields a
 * canary.
 */
export function canaryCount(total: number, canaryPercentage: number): number {
  return Math.max(1, Math.ceil((total * canaryPercentage) / 100));
}

export class InvalidPlanError extends RangeError {
  override readonly name = 'InvalidPlanError';

  constructor(readonly problems: readonly string[]) {
    super(`Invalid plan input: ${problems.join('; ')}`);
  }
}

function isWhole(value: number, min: number): boolean {
  return Number.isInteger(value) && value >= min;
}

function isPercentage(value: number): boolean {
  return Number.isFinite(value) && value > 0 && value <= 100;
}

/** Throws `InvalidPlanError` naming every field out of range: such input would stall or overrun the plan. */
export function assertValidPlan(plan: PlanInput): void {
  const problems: string[] = [];
  if (!Object.values(UpgradeStrategy).includes(plan.strategy)) {
    problems.push(
      `strategy must be one of ${Object.values(UpgradeStrategy).join(', ')} (got ${plan.strategy})`,
    );
  }
  if (!isWhole(plan.totalInstances, 0)) {
    problems.push(`totalInstances must be a whole number ≥ 0 (got ${plan.totalInstances})`);
  }
  if (!isWhole(plan.batchSize, 1)) {
    problems.push(`batchSize must be a whole number ≥ 1 (got ${plan.batchSize})`);
  }
  if (!(Number.isFinite(plan.batchDelaySeconds) && plan.batchDelaySeconds >= 0)) {
    problems.push(`batchDelaySeconds must be ≥ 0 (got ${plan.batchDelaySeconds})`);
  }
  if (!isPercentage(plan.maxUnavailablePercentage)) {
    problems.push(`maxUnavailablePercentage must be in (0, 100] (got ${plan.maxUnavailablePercentage})`);
  }
  if (!isPercentage(plan.canaryPercentage)) {
    problems.push(`canaryPercentage must be in (0, 100] (got ${plan.canaryPercentage})`);
  }
  if (!isWhole(plan.currentBatch, 0)) {
    problems.push(`currentBatch must be a whole number ≥ 0 (got ${plan.currentBatch})`);
  }
  if (plan.approvedStages !== undefined && !isWhole(plan.approvedStages, 0)) {
    problems.push(`approvedStages must be a whole number ≥ 0 (got ${plan.approvedStages})`);
  }
  if (problems.length > 0) {
    throw new InvalidPlanError(problems);
  }
}

/** Planned (has a batch) but not yet settled. A planned PENDING instance is about to be drained. */
function isInFlight(instance: PlannerInstance): boolean {
  return (
    IN_FLIGHT_STATUSES.includes(instance.status) ||
    (instance.status === InstanceStatus.PENDING && instance.batch !== null)
  );
}

function isUnplanned(instance: PlannerInstance): boolean {
  return instance.status === InstanceStatus.PENDING && instance.batch === null;
}

/**
 * The fleet the bound is computed on. A mismatch between `totalInstances` and the instances given can
 * only make the planner more careful, never less.
 */
function fleetSizeOf(plan: PlanInput, instances: readonly PlannerInstance[]): number {
  return Math.min(plan.totalInstances, instances.length);
}

function ceilDiv(a: number, b: number): number {
  return Math.ceil(a / b);
}

export function planNextBatch(
  plan: PlanInput,
  instances: readonly PlannerInstance[],
  now: Date,
): PlanDecision {
  assertValidPlan(plan);
  const rule = STRATEGY_RULES[plan.strategy];
  const fleet = fleetSizeOf(plan, instances);

  // Batches are sequential: nothing new starts while any planned instance is still being worked on.
  if (instances.some(isInFlight)) {
    return { kind: 'WAIT_FOR_INSTANCES' };
  }

  const planned = instances.filter((instance) => instance.batch !== null).length;
  const unplanned = instances.filter(isUnplanned);
  const failed = instances.filter((instance) => instance.status === InstanceStatus.FAILED).length;
  const completed = instances.filter((instance) => instance.status === InstanceStatus.COMPLETED).length;
  const inCanaryPhase = rule.hasCanaryPhase && plan.phase === 'CANARY';

  let limit: number;
  if (inCanaryPhase) {
    const canaries = Math.min(canaryCount(fleet, plan.canaryPercentage), fleet);
    if (planned >= canaries) {
      return { kind: 'CANARY_PHASE_DONE' };
    }
    limit = canaries - planned;
  } else {
    limit = rule.batchLimit(plan.batchSize, fleet);
  }

  if (unplanned.length === 0) {
    return { kind: 'ALL_DONE', completed, failed };
  }

  if (rule.stageSize) {
    const stageSize = rule.stageSize(plan.batchSize);
    const stagesPlanned = planned / stageSize;
    if (planned > 0 && Number.isInteger(stagesPlanned) && (plan.approvedStages ?? 0) < stagesPlanned) {
      return { kind: 'STAGE_DONE', stage: stagesPlanned };
    }
  }

  if (!rule.continuesPastFailures && failed > 0) {
    return {
      kind: 'BLOCKED',
      reason:
        `${plan.strategy} tolerates no failed instance and ${failed} failed; the remaining ` +
        `${unplanned.length} stay on the previous version. Roll back or cancel the execution.`,
    };
  }

  // Failed instances stay out of service until rolled back, so they consume the budget (invariant 1).
  const bound = maxUnavailable(fleet, plan.maxUnavailablePercentage);
  const budget = bound - failed;
  if (budget <= 0) {
    return {
      kind: 'BLOCKED',
      reason:
        `${failed} failed instance(s) use the whole unavailability budget of ${bound} ` +
        `(maxUnavailablePercentage ${plan.maxUnavailablePercentage}% of ${fleet}); ` +
        `${unplanned.length} instance(s) cannot be upgraded without exceeding it. Roll back or cancel the execution.`,
    };
  }

  if (rule.waitsBetweenBatches && plan.lastBatchCompletedAt !== null && plan.batchDelaySeconds > 0) {
    const at = new Date(plan.lastBatchCompletedAt.getTime() + plan.batchDelaySeconds * 1000);
    if (now.getTime() < at.getTime()) {
      return { kind: 'WAIT_UNTIL', at };
    }
  }

  const size = Math.min(limit, budget, unplanned.length);
  return {
    kind: 'START_BATCH',
    batch: plan.currentBatch + 1,
    instanceIds: unplanned.slice(0, size).map((instance) => instance.id),
  };
}

/**
 * The number of batches the execution takes if no instance fails (shown as `totalBatches`). Failures
 * shrink the budget, so a run with failures may need more.
 */
export function totalBatches(plan: PlanInput): number {
  assertValidPlan(plan);
  const rule = STRATEGY_RULES[plan.strategy];
  const fleet = plan.totalInstances;
  const bound = maxUnavailable(fleet, plan.maxUnavailablePercentage);
  const rolloutBatch = Math.min(rule.batchLimit(plan.batchSize, fleet), bound);
  if (rule.hasCanaryPhase) {
    const canaries = Math.min(canaryCount(fleet, plan.canaryPercentage), fleet);
    return ceilDiv(canaries, bound) + ceilDiv(fleet - canaries, rolloutBatch);
  }
  return ceilDiv(fleet, rolloutBatch);
}

/** STAGED: the number of approval stages (0 for other strategies). */
export function totalStages(plan: PlanInput): number {
  const stageSize = STRATEGY_RULES[plan.strategy].stageSize;
  return stageSize ? ceilDiv(plan.totalInstances, stageSize(plan.batchSize)) : 0;
}

/** STAGED: the stage a batch belongs to (1-based; batches are one instance each). */
export function stageOfBatch(plan: PlanInput, batch: number): number {
  const stageSize = STRATEGY_RULES[plan.strategy].stageSize;
  return stageSize ? ceilDiv(batch, stageSize(plan.batchSize)) : 0;
}

/**
 * STAGED: stages whose every instance has been planned and has settled. On /resume the orchestrator
 * stores this as `approvedStages`: resuming after STAGE_DONE approves the next stage, and resuming a
 * pause taken mid-stage approves nothing new.
 */
export function completedStages(plan: PlanInput, instances: readonly PlannerInstance[]): number {
  const stageSize = STRATEGY_RULES[plan.strategy].stageSize;
  if (!stageSize) {
    return 0;
  }
  const settledPlanned = instances.filter(
    (instance) => instance.batch !== null && !isInFlight(instance),
  ).length;
  const size = stageSize(plan.batchSize);
  return settledPlanned >= fleetSizeOf(plan, instances)
    ? ceilDiv(settledPlanned, size)
    : Math.floor(settledPlanned / size);
}

/**
 * The planner phase after the execution enters `to`. A CANARY execution plans canaries while
 * CANARY_RUNNING and rolls out once it is IN_PROGRESS, whether it got there by /promote-canary or by
 * /resume after a pause taken during the canary run (the status table sends PAUSED only to IN_PROGRESS;
 * ADR 0002). Other strategies are always in ROLLOUT.
 */
export function planPhaseAfter(
  strategy: UpgradeStrategy,
  to: ExecutionStatus,
  current: PlanPhase,
): PlanPhase {
  if (!STRATEGY_RULES[strategy].hasCanaryPhase) {
    return 'ROLLOUT';
  }
  if (to === ExecutionStatus.CANARY_RUNNING) {
    return 'CANARY';
  }
  if (to === ExecutionStatus.IN_PROGRESS) {
    return 'ROLLOUT';
  }
  return current;
}

/** The first phase of a new execution. */
export function initialPlanPhase(strategy: UpgradeStrategy): PlanPhase {
  return STRATEGY_RULES[strategy].hasCanaryPhase ? 'CANARY' : 'ROLLOUT';
}
