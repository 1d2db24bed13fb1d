import { UpgradeStrategy } from '@upshift/contracts/model';

/**
 * How each strategy of docs/api-contract.md sizes and paces its batches (ADR 0002). Every strategy
 * runs the same instance lifecycle (drain → upgrade → health-check) and every batch is further capped
 * by the unavailability budget, which no rule here can widen:
 *
 *   out-of-service ≤ max(1, floor(totalInstances × maxUnavailablePercentage / 100))
 */
export interface StrategyRule {
  /** One line for logs and docs. */
  readonly summary: string;
  /** The largest batch the strategy asks for, before the unavailability budget caps it. */
  readonly batchLimit: (batchSize: number, fleetSize: number) => number;
  /** Whether `batchDelaySeconds` separates consecutive batches. */
  readonly waitsBetweenBatches: boolean;
  /** Whether the rollout goes on past a failed instance (within the budget and the failure policy). */
  readonly continuesPastFailures: boolean;
  /** Instances per operator-approved stage; null when no approval is needed between batches. */
  readonly stageSize: ((batchSize: number) => number) | null;
  /** Whether a canary phase comes first. */
  readonly hasCanaryPhase: boolean;
}

export const STRATEGY_RULES: Readonly<Record<UpgradeStrategy, StrategyRule>> = {
  [UpgradeStrategy.ROLLING]: {
    summary: 'batches of batchSize, batchDelaySeconds apart',
    batchLimit: (batchSize) => batchSize,
    waitsBetweenBatches: true,
    continuesPastFailures: true,
    stageSize: null,
    hasCanaryPhase: false,
  },
  [UpgradeStrategy.CANARY]: {
    summary: 'canaryPercentage of the fleet first, then after promotion the ROLLING rule',
    batchLimit: (batchSize) => batchSize,
    waitsBetweenBatches: true,
    continuesPastFailures: true,
    stageSize: null,
    hasCanaryPhase: true,
  },
  [UpgradeStrategy.BLUE_GREEN]: {
    // In-place blue/green: a slice of at most half the fleet is drained (traffic switched to the blue
    // rest), upgraded and verified green before it takes traffic back. Zero tolerance: one failed
    // green instance stops the switch.
    summary: 'slices of at most half the fleet, no failed instance tolerated',
    batchLimit: (_batchSize, fleetSize) => Math.max(1, Math.floor(fleetSize / 2)),
    waitsBetweenBatches: true,
    continuesPastFailures: false,
    stageSize: null,
    hasCanaryPhase: false,
  },
  [UpgradeStrategy.RECREATE]: {
    // "All instances replaced at once", as far as the unavailability budget allows; the waves follow
    // each other without a delay (development and test environments).
    summary: 'as many instances at once as the budget allows, no delay between waves',
    batchLimit: (_batchSize, fleetSize) => Math.max(1, fleetSize),
    waitsBetweenBatches: false,
    continuesPastFailures: true,
    stageSize: null,
    hasCanaryPhase: false,
  },
  [UpgradeStrategy.STAGED]: {
    // One instance at a time, as the CoreOS and Digital Rebar procedures do (ADR 0002); after every
    // batchSize instances the execution pauses until an operator approves the next stage with /resume.
    summary: 'one instance at a time, stages of batchSize instances, operator approval between stages',
    batchLimit: () => 1,
    waitsBetweenBatches: true,
    continuesPastFailures: true,
    stageSize: (batchSize) => batchSize,
    hasCanaryPhase: false,
  },
};
