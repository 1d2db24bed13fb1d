import { startFleet, type Fleet } from '../src';
import { call, memoryArtifactSource, newCommandId, testArtifact, testAgentKeys } from './fleet-fixtures';

const v2 = testArtifact('2.0.0');

async function drainAndUpgrade(
  fleet: Fleet,
  name: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const agent = `/i/${name}/agent`;
  await call(fleet.baseUrl, 'POST', `${agent}/drain`, { commandId: newCommandId() });
  return call(fleet.baseUrl, 'POST', `${agent}/upgrade`, {
    commandId: newCommandId(),
    version: '2.0.0',
    artifactUrl: v2.url,
    sha256: v2.sha256,
    signature: null,
  });
}

describe('fault injection and the admin API', () => {
  let fleet: Fleet;

  beforeEach(async () => {
    fleet = await startFleet({
      agentKeys: testAgentKeys,
      instances: 10,
      initialVersion: '1.0.0',
      artifactSource: memoryArtifactSource([v2]),
    });
  });

  afterEach(async () => {
    await fleet.stop();
  });

  it('fails the upgrade of listed instances with a permanent 422 and leaves the version unchanged', async () => {
    await call(fleet.baseUrl, 'PUT', '/admin/faults', { upgradeFails: { instances: ['sim-0002'] } });
    expect((await drainAndUpgrade(fleet, 'sim-0001')).status).toBe(200);
    expect(await drainAndUpgrade(fleet, 'sim-0002')).toMatchObject({
      status: 422,
      body: { code: 'upgrade-failed', transient: false },
    });
    expect(fleet.instance('sim-0002')).toMatchObject({ version: '1.0.0', draining: true });
  });

  it('makes listed instances unhealthy after the upgrade until they are rolled back', async () => {
    await call(fleet.baseUrl, 'PUT', '/admin/faults', { unhealthyAfterUpgrade: { instances: ['sim-0003'] } });
    expect((await drainAndUpgrade(fleet, 'sim-0003')).status).toBe(200);
    expect((await call(fleet.baseUrl, 'GET', '/i/sim-0003/agent/health')).body).toMatchObject({
      healthy: false,
      version: '2.0.0',
    });
    await call(fleet.baseUrl, 'POST', '/i/sim-0003/agent/rollback', { commandId: newCommandId() });
    expect((await call(fleet.baseUrl, 'GET', '/i/sim-0003/agent/health')).body).toMatchObject({
      healthy: true,
      version: '1.0.0',
    });
  });

  it('applies a fault with a probability, reproducibly for a seed', async () => {
    fleet.setFaults({ upgradeFails: { probability: 0.5 } });
    const statuses: number[] = [];
    for (const view of fleet.instances) statuses.push((await drainAndUpgrade(fleet, view.name)).status);
    expect(statuses.filter((s) => s === 422).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);

    const again = await startFleet({
      agentKeys: testAgentKeys,
      instances: 10,
      initialVersion: '1.0.0',
      artifactSource: memoryArtifactSource([v2]),
    });
    try {
      again.setFaults({ upgradeFails: { probability: 0.5 } });
      const replay: number[] = [];
      for (const view of again.instances) replay.push((await drainAndUpgrade(again, view.name)).status);
      expect(replay).toEqual(statuses);
    } finally {
      await again.stop();
    }
  });

  it('hangs an upgrade until the fleet stops', async () => {
    fleet.setFaults({ upgradeHangs: { instances: ['sim-0004'] } });
    const hung = drainAndUpgrade(fleet, 'sim-0004').catch((error: unknown) => error);
    const outcome = await Promise.race([
      hung,
      new Promise((resolve) => setTimeout(() => resolve('still hanging'), 300)),
    ]);
    expect(outcome).toBe('still hanging');
    expect(fleet.instance('sim-0004')).toMatchObject({ upgrading: true, outOfService: true });
    await fleet.stop();
    await hung;
  });

  it('crashes an instance: it stops answering until restarted', async () => {
    fleet.setFaults({ crashOnUpgrade: { instances: ['sim-0005'] } });
    await expect(drainAndUpgrade(fleet, 'sim-0005')).rejects.toThrow();
    await expect(call(fleet.baseUrl, 'GET', '/i/sim-0005/agent/status')).rejects.toThrow();
    const restarted = await call(fleet.baseUrl, 'POST', '/admin/instances/sim-0005/restart');
    expect(restarted.body).toMatchObject({ crashed: false, version: '1.0.0' });
    expect((await call(fleet.baseUrl, 'GET', '/i/sim-0005/agent/status')).status).toBe(200);
    await call(fleet.baseUrl, 'POST', '/admin/instances/sim-0006/crash');
    await expect(call(fleet.baseUrl, 'GET', '/i/sim-0006/agent/health')).rejects.toThrow();
  });

  it('answers 503 for the next N calls of an instance with transient errors, with no effect', async () => {
    await call(fleet.baseUrl, 'PUT', '/admin/faults', {
      transientErrors: { instances: ['sim-0007'], count: 2 },
    });
    const commandId = newCommandId();
    const drain = () => call(fleet.baseUrl, 'POST', '/i/sim-0007/agent/drain', { commandId });
    expect((await drain()).status).toBe(503);
    expect(fleet.instance('sim-0007').draining).toBe(false);
    expect((await drain()).status).toBe(503);
    expect(await drain()).toMatchObject({ status: 200, body: { draining: true } });
  });

  it('refuses an invalid fault configuration, naming the problem', async () => {
    const reply = await call(fleet.baseUrl, 'PUT', '/admin/faults', { upgradeFails: { probability: 2 } });
    expect(reply).toMatchObject({ status: 400 });
    expect(String(reply.body['detail'])).toContain('probability');
    expect((await call(fleet.baseUrl, 'PUT', '/admin/faults', { meteorStrike: {} })).status).toBe(400);
  });

  it('changes latency at run time', async () => {
    await call(fleet.baseUrl, 'PUT', '/admin/latency', { status: { kind: 'fixed', ms: 120 } });
    const started = Date.now();
    await call(fleet.baseUrl, 'GET', '/i/sim-0001/agent/status');
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(
      (await call(fleet.baseUrl, 'PUT', '/admin/latency', { status: { kind: 'gaussian' } })).status,
    ).toBe(400);
  });

  it('records how many instances were out of service at each moment, and the maximum', async () => {
    await call(fleet.baseUrl, 'POST', '/i/sim-0001/agent/drain', { commandId: newCommandId() });
    await call(fleet.baseUrl, 'POST', '/i/sim-0002/agent/drain', { commandId: newCommandId() });
    await call(fleet.baseUrl, 'POST', '/i/sim-0001/agent/undrain', { commandId: newCommandId() });
    await call(fleet.baseUrl, 'POST', '/i/sim-0003/agent/drain', { commandId: newCommandId() });
    const history = await call(fleet.baseUrl, 'GET', '/admin/out-of-service-history');
    expect(history.body).toMatchObject({ current: 2, max: 2, truncated: false });
    expect((history.body['samples'] as { outOfService: number }[]).map((s) => s.outOfService)).toEqual([
      1, 2, 1, 2,
    ]);
    const reset = await call(fleet.baseUrl, 'DELETE', '/admin/out-of-service-history');
    expect(reset.body).toMatchObject({ current: 2, max: 2, samples: [] });
  });

  it('lists instances with their agent URLs and operation counters', async () => {
    const list = await call(fleet.baseUrl, 'GET', '/admin/instances');
    const instances = list.body as unknown as { name: string; agentUrl: string; counters: object }[];
    expect(instances).toHaveLength(10);
    expect(instances[0]).toMatchObject({
      name: 'sim-0001',
      agentUrl: `${fleet.baseUrl}/i/sim-0001`,
      counters: { upgradesApplied: 0 },
    });
  });
});

describe('the demo artifact repository', () => {
  it('serves bytes whose digest matches the registry seed, and agents download and verify them', async () => {
    const { createHash } = await import('crypto');
    const fleet = await startFleet({ agentKeys: testAgentKeys, instances: 1, initialVersion: '1.0.0' });
    try {
      const url = `${fleet.artifactBaseUrl}/upshift-gateway/2.0.0/upshift-gateway-2.0.0.tar.gz`;
      const bytes = Buffer.from(await (await fetch(url)).arrayBuffer());
      const sha256 = createHash('sha256').update('upshift demo artifact upshift-gateway@2.0.0').digest('hex');
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(sha256);
      await call(fleet.baseUrl, 'POST', '/i/sim-0001/agent/drain', { commandId: newCommandId() });
      const upgraded = await call(fleet.baseUrl, 'POST', '/i/sim-0001/agent/upgrade', {
        commandId: newCommandId(),
        version: '2.0.0',
        artifactUrl: url,
        sha256,
        signature: null,
      });
      expect(upgraded).toMatchObject({ status: 200, body: { version: '2.0.0' } });
    } finally {
      await fleet.stop();
    }
  });
});

describe('fleet defaults', () => {
  it('reports a recent backup by default, and none when asked', async () => {
    const withBackups = await startFleet({ agentKeys: testAgentKeys, instances: 1, initialVersion: '1.0.0' });
    const without = await startFleet({
      agentKeys: testAgentKeys,
      instances: 1,
      initialVersion: '1.0.0',
      lastBackupAt: null,
    });
    try {
      const backedUp = await call(withBackups.baseUrl, 'GET', '/i/sim-0001/agent/status');
      expect(Date.parse(String(backedUp.body['lastBackupAt']))).toBeLessThan(Date.now());
      expect(
        (await call(without.baseUrl, 'GET', '/i/sim-0001/agent/status')).body['lastBackupAt'],
      ).toBeNull();
    } finally {
      await withBackups.stop();
      await without.stop();
    }
  });
});
