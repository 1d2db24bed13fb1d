import { ExecutionStatus, type UpgradeExecutionView } from '@upshift/contracts';
import { isTerminal } from '@upshift/domain';
import { eventually } from '@upshift/testing';
import { OrchestratorClient, startStack, type Stack } from '@upshift/stack';

jest.setTimeout(300_000);

const INSTANCES = 6;

interface InventoryInstance {
  name: string;
  version: string;
  outOfSupport: boolean;
}

/**
 * Out of support and downgrades (ADR 0092) over the real stack: a fleet on the demo gateway's 1.2.0, two
 * majors behind its newest release (3.1.1; 3.2.0-beta.1 is a pre-release and does not count), is flagged
 * in the inventory, the tenant's out-of-support list and the execution's instances, and is still moved
 * forward along the allowed path. Downgrades run like upgrades where the target allows them and are
 * refused with 422 naming DOWNGRADE_NOT_ALLOWED where it does not.
 */
describe('out of support and downgrades end to end', () => {
  let stack: Stack;
  let client: OrchestratorClient;

  beforeAll(async () => {
    stack = await startStack({
      label: 'e2e_support',
      workers: 1,
      workerConcurrency: 8,
      fleet: {
        instances: INSTANCES,
        initialVersion: '1.2.0',
        latency: { default: { kind: 'uniform', minMs: 5, maxMs: 20 } },
      },
    });
    client = new OrchestratorClient(stack.baseUrl, stack.operatorToken);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  beforeEach(() => {
    stack.fleet.setFaults({});
  });

  function request(
    from: string,
    to: string,
    overrides: Record<string, unknown> = {},
  ): Record<string, unknown> {
    return {
      componentId: stack.componentId,
      fromVersionId: stack.versionId(from),
      toVersionId: stack.versionId(to),
      strategy: 'ROLLING',
      batchSize: 3,
      batchDelaySeconds: 0,
      healthCheckIntervalSeconds: 1,
      healthCheckTimeoutSeconds: 5,
      maxUnavailablePercentage: 50,
      totalInstances: INSTANCES,
      autoRollbackEnabled: true,
      failureThreshold: 1,
      initiatedBy: 'e2e@upshift.test',
      installedComponents: { kafka: '3.6.0', postgresql: '16.1.0' },
      ...overrides,
    };
  }

  async function runToEnd(created: UpgradeExecutionView): Promise<UpgradeExecutionView> {
    await client.operate(created.id, 'start');
    const view = await eventually(
      async () => {
        const current = await client.get(created.id);
        return isTerminal(current.status) ? current : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 250, what: `execution ${created.id} to end` },
    );
    await stack.inventoryMatchesFleet();
    return view;
  }

  async function registryGet<T>(path: string): Promise<{ body: T; total: string | null }> {
    const response = await fetch(`${stack.baseUrl}/api/v1/registry${path}`, {
      headers: { authorization: `Bearer ${stack.operatorToken}` },
    });
    expect(response.status).toBe(200);
    return { body: (await response.json()) as T, total: response.headers.get('x-total-count') };
  }

  const inventory = async () =>
    (
      await registryGet<InventoryInstance[]>(
        `/tenants/${stack.tenantId}/instances?componentId=${stack.componentId}`,
      )
    ).body;
  const outOfSupportList = () =>
    registryGet<InventoryInstance[]>(`/tenants/${stack.tenantId}/instances/out-of-support?limit=4`);

  it('flags the 1.2.0 fleet out of support everywhere, then upgrades it forward to 2.0.0 to COMPLETED', async () => {
    expect((await inventory()).map((i) => [i.version, i.outOfSupport])).toEqual(
      Array.from({ length: INSTANCES }, () => ['1.2.0', true]),
    );
    const listed = await outOfSupportList();
    expect(listed.total).toBe(String(INSTANCES));
    expect(listed.body).toHaveLength(4); // paged like the other lists
    expect(listed.body.every((i) => i.outOfSupport)).toBe(true);

    // No new blocker: the mandatory 2.0.0 is the allowed next stop.
    const created = await client.create(stack.tenantId, request('1.2.0', '2.0.0'));
    expect(created.instances.map((i) => i.outOfSupport)).toEqual(
      Array.from({ length: INSTANCES }, () => true),
    );
    const page = await registryGet<{ instances: { outOfSupport: boolean }[] }>(
      `/upgrades/${created.id}/instances?limit=2`,
    );
    expect(page.body.instances.map((i) => i.outOfSupport)).toEqual([true, true]);

    const view = await runToEnd(created);
    expect(view.status).toBe(ExecutionStatus.COMPLETED);
    expect(view.completedInstances).toBe(INSTANCES);
    // The execution keeps what it saw when it was created; the inventory says where the fleet is now.
    expect(view.instances.every((i) => i.outOfSupport === true)).toBe(true);
    expect(stack.fleet.instances.every((i) => i.version === '2.0.0')).toBe(true);
    expect((await inventory()).every((i) => i.version === '2.0.0' && !i.outOfSupport)).toBe(true);
    const after = await outOfSupportList();
    expect([after.body, after.total]).toEqual([[], '0']);
  });

  it('refuses a downgrade to a release that does not allow it with 422 naming DOWNGRADE_NOT_ALLOWED', async () => {
    const response = await fetch(`${stack.baseUrl}/api/v1/registry/tenants/${stack.tenantId}/upgrades`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.operatorToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(request('2.0.0', '1.2.0')),
    });
    expect(response.status).toBe(422);
    const problem = (await response.json()) as { detail: string; blockers: { code: string }[] };
    expect(problem.blockers.map((b) => b.code)).toEqual(['DOWNGRADE_NOT_ALLOWED']);
    expect(problem.detail).toContain('DOWNGRADE_NOT_ALLOWED');
    // The registry lists no downgrade from 2.0.0: every 1.x release refuses it.
    const downgrades = await registryGet<unknown[]>(
      `/components/${stack.componentId}/versions/${stack.versionId('2.0.0')}/available-downgrades`,
    );
    expect(downgrades.body).toEqual([]);
  });

  it('a permitted downgrade runs like an upgrade: 2.2.0 → 2.1.0 (BLUE_GREEN) to COMPLETED', async () => {
    expect((await runToEnd(await client.create(stack.tenantId, request('2.0.0', '2.2.0')))).status).toBe(
      ExecutionStatus.COMPLETED,
    );
    const listed = await registryGet<{ version: string; directTarget: boolean }[]>(
      `/components/${stack.componentId}/versions/${stack.versionId('2.2.0')}/available-downgrades`,
    );
    expect(listed.body).toContainEqual(expect.objectContaining({ version: '2.1.0', directTarget: true }));

    const view = await runToEnd(
      await client.create(stack.tenantId, request('2.2.0', '2.1.0', { strategy: 'BLUE_GREEN' })),
    );
    expect(view.status).toBe(ExecutionStatus.COMPLETED);
    expect(view.completedInstances).toBe(INSTANCES);
    expect(stack.fleet.instances.every((i) => i.version === '2.1.0' && !i.outOfService)).toBe(true);
  });

  it('a failing downgrade is rolled back to the newer version it started from', async () => {
    const names = stack.fleet.instances.map((i) => i.name);
    stack.fleet.setFaults({ unhealthyAfterUpgrade: { instances: names.slice(0, 1) } });
    const view = await runToEnd(await client.create(stack.tenantId, request('2.1.0', '2.0.0')));
    expect(view.status).toBe(ExecutionStatus.ROLLED_BACK);
    expect(view.rollbackInfo?.rollbackInitiatedBy).toBe('system:auto-rollback');
    expect(stack.fleet.instances.every((i) => i.version === '2.1.0' && !i.outOfService)).toBe(true);
  });
});
