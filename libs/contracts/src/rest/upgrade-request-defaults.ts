import { UpgradeStrategy } from '../enums';

/** docs/api-contract.md "UpgradeRequest": the value each optional field takes when a client omits it. */
export const UPGRADE_REQUEST_DEFAULTS = {
  strategy: UpgradeStrategy.ROLLING,
  canaryPercentage: 10,
  batchSize: 5,
  batchDelaySeconds: 60,
  healthCheckIntervalSeconds: 30,
  healthCheckTimeoutSeconds: 300,
  maxUnavailablePercentage: 25,
  totalInstances: 10,
  autoRollbackEnabled: false,
  failureThreshold: 3,
} as const satisfies Record<string, unknown>;

/**
 * Upper bounds. The contract had none; these only keep one request from asking for something no fleet
 * or operator means (a week-long delay, a million-instance execution) — see ADR 0022.
 */
export const UPGRADE_REQUEST_LIMITS = {
  maxInstances: 10_000,
  maxBatchDelaySeconds: 86_400,
  maxHealthCheckIntervalSeconds: 3_600,
  maxHealthCheckTimeoutSeconds: 86_400,
  maxInitiatedByLength: 255,
  maxInstalledComponents: 200,
  maxComponentNameLength: 128,
  maxVersionLength: 64,
} as const;

/** What a caller may send: the three ids, and any of the defaulted fields. */
export interface CreateUpgradeRequestInput {
  componentId: string;
  fromVersionId: string;
  toVersionId: string;
  strategy?: UpgradeStrategy;
  canaryPercentage?: number;
  batchSize?: number;
  batchDelaySeconds?: number;
  healthCheckIntervalSeconds?: number;
  healthCheckTimeoutSeconds?: number;
  maxUnavailablePercentage?: number;
  totalInstances?: number;
  autoRollbackEnabled?: boolean;
  failureThreshold?: number;
  initiatedBy?: string | null;
  installedComponents?: Record<string, string> | null;
}

/** A request with every default applied: what the orchestrator stores and echoes in the execution. */
export interface ResolvedUpgradeRequest {
  componentId: string;
  fromVersionId: string;
  toVersionId: string;
  strategy: UpgradeStrategy;
  canaryPercentage: number;
  batchSize: number;
  batchDelaySeconds: number;
  healthCheckIntervalSeconds: number;
  healthCheckTimeoutSeconds: number;
  maxUnavailablePercentage: number;
  totalInstances: number;
  autoRollbackEnabled: boolean;
  failureThreshold: number;
  initiatedBy: string | null;
  installedComponents: Record<string, string>;
}

/**
 * Applies the contract's defaults (docs/api-contract.md) to every field that is absent (undefined or
 * null). Pure: it never validates; run `validateCreateUpgradeRequest` on untrusted input.
 */
export function withDefaults(input: CreateUpgradeRequestInput): ResolvedUpgradeRequest {
  const d = UPGRADE_REQUEST_DEFAULTS;
  return {
    componentId: input.componentId,
    fromVersionId: input.fromVersionId,
    toVersionId: input.toVersionId,
    strategy: input.strategy ?? d.strategy,
    canaryPercentage: input.canaryPercentage ?? d.canaryPercentage,
    batchSize: input.batchSize ?? d.batchSize,
    batchDelaySeconds: input.batchDelaySeconds ?? d.batchDelaySeconds,
    healthCheckIntervalSeconds: input.healthCheckIntervalSeconds ?? d.healthCheckIntervalSeconds,
    healthCheckTimeoutSeconds: input.healthCheckTimeoutSeconds ?? d.healthCheckTimeoutSeconds,
    maxUnavailablePercentage: input.maxUnavailablePercentage ?? d.maxUnavailablePercentage,
    totalInstances: input.totalInstances ?? d.totalInstances,
    autoRollbackEnabled: input.autoRollbackEnabled ?? d.autoRollbackEnabled,
    failureThreshold: input.failureThreshold ?? d.failureThreshold,
    initiatedBy: input.initiatedBy ?? null,
    installedComponents: { ...(input.installedComponents ?? {}) },
  };
}
