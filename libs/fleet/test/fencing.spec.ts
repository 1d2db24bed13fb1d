import { Value } from '@sinclair/typebox/value';
import { AgentProblemCode, AgentProblemSchema } from '@upshift/contracts';
import { staleAppliedCalls, startFleet, type AppliedCall, type Fleet } from '../src';
import { call, memoryArtifactSource, newCommandId, testAgentKeys, testArtifact } from './fleet-fixtures';

const v2 = testArtifact('2.0.0');

/** docs/agent-protocol.md, "Fencing": the agent refuses a fencing token older than the newest it accepted. */
describe('fencing tokens in the simulated agent', () => {
  let fleet: Fleet;
  const path = (name: string, operation: string) => `/i/${name}/agent/${operation}`;
  const post = (name: string, operation: string, body: Record<string, unknown>) =>
    call(fleet.baseUrl, 'POST', path(name, operation), { commandId: newCommandId(), ...body });
  const upgradeBody = (fencingToken?: number) => ({
    ...(fencingToken === undefined ? {} : { fencingToken }),
    version: '2.0.0',
    artifactUrl: v2.url,
    sha256: v2.sha256,
    signature: null,
  });

  beforeEach(async () => {
    fleet = await startFleet({
      agentKeys: testAgentKeys,
      instances: 4,
      initialVersion: '1.0.0',
      artifactSource: memoryArtifactSource([v2]),
    });
  });

  afterEach(async () => {
    await fleet.stop();
  });

  it('accepts equal and newer tokens, refuses an older one with 409 stale-fencing-token and changes nothing', async () => {
    expect((await post('sim-0001', 'drain', { fencingToken: 4 })).status).toBe(200);
    expect((await post('sim-0001', 'upgrade', upgradeBody(4))).status).toBe(200);
    expect((await post('sim-0001', 'undrain', { fencingToken: 6 })).status).toBe(200);
    const before = fleet.instance('sim-0001');
    expect(before).toMatchObject({ version: '2.0.0', draining: false, fencingToken: 6 });

    const refused = await post('sim-0001', 'rollback', { fencingToken: 5, toVersion: '1.0.0' });
    expect(refused.status).toBe(409);
    expect(Value.Check(AgentProblemSchema, refused.body)).toBe(true);
    expect(refused.body).toMatchObject({
      type: `urn:upshift:agent:problem:${AgentProblemCode.STALE_FENCING_TOKEN}`,
      code: AgentProblemCode.STALE_FENCING_TOKEN,
      transient: false,
      detail: 'fencing token 5 is older than 6, the newest accepted',
    });
    // The whole instance is as it was; only the request was counted.
    expect(fleet.instance('sim-0001')).toEqual({
      ...before,
      counters: { ...before.counters, requests: before.counters.requests + 1 },
    });
  });

  it('logs every accepted mutating call with its token, in the order accepted', async () => {
    await post('sim-0002', 'drain', { fencingToken: 1 });
    await post('sim-0002', 'upgrade', upgradeBody(1));
    await post('sim-0002', 'drain', { fencingToken: 0 }); // invalid: refused before anything
    await post('sim-0002', 'rollback', { fencingToken: 2 });
    await post('sim-0002', 'undrain', { fencingToken: 1 }); // stale: refused, not logged
    await post('sim-0002', 'undrain', { fencingToken: 2 });
    const { appliedCalls } = fleet.instance('sim-0002');
    expect(appliedCalls.map((c) => [c.operation, c.fencingToken, c.status])).toEqual([
      ['drain', 1, 200],
      ['upgrade', 1, 200],
      ['rollback', 2, 200],
      ['undrain', 2, 200],
    ]);
    expect(staleAppliedCalls(appliedCalls)).toEqual([]);
    // The admin API shows the same log.
    expect((await call(fleet.baseUrl, 'GET', '/admin/instances/sim-0002')).body).toMatchObject({
      fencingToken: 2,
      appliedCalls: appliedCalls.map((c) => ({ operation: c.operation, fencingToken: c.fencingToken })),
    });
  });

  it('refuses a stale token even for a commandId it already answered (no replay of a stale caller)', async () => {
    const commandId = newCommandId();
    await call(fleet.baseUrl, 'POST', path('sim-0003', 'drain'), { commandId, fencingToken: 3 });
    await post('sim-0003', 'undrain', { fencingToken: 4 });
    const repeat = await call(fleet.baseUrl, 'POST', path('sim-0003', 'drain'), {
      commandId,
      fencingToken: 3,
    });
    expect(repeat).toMatchObject({ status: 409, body: { code: AgentProblemCode.STALE_FENCING_TOKEN } });
    expect(fleet.instance('sim-0003').counters).toMatchObject({ drains: 1, replays: 0 });
  });

  it('without a token: anything goes on a never-fenced instance; afterwards only backups', async () => {
    expect((await post('sim-0004', 'drain', {})).status).toBe(200);
    expect((await post('sim-0004', 'undrain', { fencingToken: 2 })).status).toBe(200);
    const unfenced = await post('sim-0004', 'drain', {});
    expect(unfenced).toMatchObject({ status: 409, body: { code: AgentProblemCode.STALE_FENCING_TOKEN } });
    expect(String(unfenced.body['detail'])).toContain('without a fencing token');
    // The orchestrator's backup check carries no token and changes neither version nor traffic.
    expect((await post('sim-0004', 'backup', {})).status).toBe(200);
    expect(fleet.instance('sim-0004')).toMatchObject({ draining: false, fencingToken: 2 });
    expect((await post('sim-0004', 'drain', { fencingToken: 'seven' })).status).toBe(400);
  });

  it('a late UPGRADE still installing when a newer ROLLBACK is accepted does not land', async () => {
    fleet.setLatency({ upgrade: { kind: 'fixed', ms: 400 } });
    await post('sim-0001', 'drain', { fencingToken: 7 });
    const upgrading = post('sim-0001', 'upgrade', upgradeBody(7));
    // While it installs, the orchestrator rolls the instance back under a newer token.
    for (;;) {
      if (fleet.instance('sim-0001').upgrading) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const rollback = await post('sim-0001', 'rollback', { fencingToken: 8, toVersion: '1.0.0' });
    expect(rollback).toMatchObject({ status: 200, body: { version: '1.0.0', rolledBack: false } });
    expect(await upgrading).toMatchObject({
      status: 409,
      body: { code: AgentProblemCode.STALE_FENCING_TOKEN },
    });
    const instance = fleet.instance('sim-0001');
    expect(instance).toMatchObject({ version: '1.0.0', counters: { upgradesApplied: 0 } });
    expect(instance.appliedCalls.map((c) => [c.operation, c.fencingToken, c.status])).toEqual([
      ['drain', 7, 200],
      ['upgrade', 7, 409],
      ['rollback', 8, 200],
    ]);
  });

  it('finds the calls of a log applied under a stale token', () => {
    const at = '2026-12-02T10:00:00.000Z';
    const log: AppliedCall[] = [
      { operation: 'drain', commandId: 'a', fencingToken: 3, acceptedAt: at, status: 200 },
      { operation: 'backup', commandId: 'b', fencingToken: null, acceptedAt: at, status: 200 },
      { operation: 'upgrade', commandId: 'c', fencingToken: 2, acceptedAt: at, status: 200 },
      { operation: 'undrain', commandId: 'd', fencingToken: null, acceptedAt: at, status: 200 },
      { operation: 'rollback', commandId: 'e', fencingToken: 3, acceptedAt: at, status: 200 },
    ];
    expect(staleAppliedCalls(log).map((c) => c.commandId)).toEqual(['c', 'd']);
  });
});
