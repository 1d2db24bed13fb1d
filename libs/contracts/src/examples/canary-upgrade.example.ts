import { UpgradeStrategy } from '../enums';
import type { ResolvedUpgradeRequest } from '../rest/upgrade-request-defaults';

/**
 * The example create request of the REST contract (docs/api-contract.md, "Initiating an upgrade",
 * the body of `POST /api/v1/registry/tenants/:tenantId/upgrades`): a CANARY upgrade of 20 instances
 * with auto-rollback, every other field spelled out at its documented value. The one copy the
 * OpenAPI example, the demo and the tests start from.
 *
 * The contract writes the three ids as "…": they only mean something in one registry, so the ids
 * here are placeholders (well-formed UUIDs) that every caller replaces with its own.
 */
export const CANARY_UPGRADE_EXAMPLE = {
  componentId: '0b6f6d0e-6f3c-4f0f-9d3a-5b1d2b7c9a01',
  fromVersionId: '1c7a7e1f-7a4d-4a1a-8e4b-6c2e3c8dab02',
  toVersionId: '2d8b8f20-8b5e-4b2b-9f5c-7d3f4d9ebc03',
  strategy: UpgradeStrategy.CANARY,
  canaryPercentage: 10,
  batchSize: 5,
  batchDelaySeconds: 60,
  healthCheckIntervalSeconds: 30,
  healthCheckTimeoutSeconds: 300,
  maxUnavailablePercentage: 25,
  totalInstances: 20,
  autoRollbackEnabled: true,
  failureThreshold: 3,
  initiatedBy: 'admin@matih.ai',
  installedComponents: { kafka: '3.6.0', postgresql: '16.1' },
} as const;

/**
 * A create request with every field given. The Pick of all keys makes it a mapped type rather than
 * the interface itself, so that it also fits where a caller passes bodies as `Record<string, unknown>`.
 */
export type CanaryUpgradeRequest = Pick<ResolvedUpgradeRequest, keyof ResolvedUpgradeRequest>;

/**
 * The contract's CANARY example with the caller's own values on top: its component and version ids,
 * and whatever else it needs different (a fleet size, shorter timings). A fresh object every call, so
 * a caller may change it.
 */
export function canaryUpgradeExample(overrides: Partial<CanaryUpgradeRequest> = {}): CanaryUpgradeRequest {
  return {
    ...CANARY_UPGRADE_EXAMPLE,
    installedComponents: { ...CANARY_UPGRADE_EXAMPLE.installedComponents },
    ...overrides,
  };
}
