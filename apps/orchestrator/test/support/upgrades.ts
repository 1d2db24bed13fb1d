import type { UpgradeExecutionView } from '@upshift/contracts';
import type { Fleet } from './fleet-fixture';
import type { TestStack } from './stack';

/** POSTs an upgrade for the fleet (fast settings unless overridden) and returns the 201 body. */
export async function createUpgrade(
  stack: TestStack,
  fleet: Fleet,
  overrides: Record<string, unknown> = {},
): Promise<UpgradeExecutionView> {
  const res = await stack.request<UpgradeExecutionView>('POST', `/tenants/${fleet.tenantId}/upgrades`, {
    componentId: fleet.componentId,
    fromVersionId: fleet.fromVersionId,
    toVersionId: fleet.toVersionId,
    batchDelaySeconds: 0,
    healthCheckIntervalSeconds: 1,
    healthCheckTimeoutSeconds: 5,
    maxUnavailablePercentage: 50,
    batchSize: 2,
    totalInstances: fleet.instanceIds.length,
    initiatedBy: 'e2e@upshift.dev',
    ...overrides,
  });
  if (res.status !== 201) throw new Error(`create answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function operate(
  stack: TestStack,
  executionId: string,
  operation: string,
  query = '',
): Promise<{ status: number; body: UpgradeExecutionView & Record<string, unknown> }> {
  return stack.request('POST', `/upgrades/${executionId}/${operation}${query}`);
}

/** Commands per instance and type, to prove "each instance upgraded once". */
export function commandCounts(stack: TestStack, executionId: string): Map<string, Record<string, number>> {
  const counts = new Map<string, Record<string, number>>();
  for (const c of stack.worker.commandsFor(executionId)) {
    const entry = counts.get(c.instanceId) ?? {};
    entry[c.type] = (entry[c.type] ?? 0) + 1;
    counts.set(c.instanceId, entry);
  }
  return counts;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
