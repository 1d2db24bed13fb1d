import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import {
  AgentBackupReplySchema,
  AgentHealthSchema,
  AgentProblemSchema,
  AgentStatusSchema,
  AgentVersionReplySchema,
} from '@upshift/contracts';
import { startFleet, type Fleet } from '../src';
import {
  call,
  memoryArtifactSource,
  newCommandId,
  signingKeyPair,
  testArtifact,
  testAgentKeys,
} from './fleet-fixtures';

const v2 = testArtifact('2.0.0');
const keys = signingKeyPair();

describe('agent protocol of a simulated instance', () => {
  let fleet: Fleet;
  let agent: string;

  beforeEach(async () => {
    fleet = await startFleet({
      agentKeys: testAgentKeys,
      instances: 3,
      initialVersion: '1.0.0',
      artifactSource: memoryArtifactSource([v2]),
      trustedPublicKeys: [keys.publicKeyBase64],
      lastBackupAt: null,
    });
    agent = `${new URL(fleet.agentUrl('sim-0001')).pathname}/agent`;
  });

  afterEach(async () => {
    await fleet.stop();
  });

  const upgradeBody = (commandId: string, overrides: Record<string, unknown> = {}) => ({
    commandId,
    version: '2.0.0',
    artifactUrl: v2.url,
    sha256: v2.sha256,
    // This fleet trusts `keys`, so it installs only artifacts signed by it (ADR 0073).
    signature: keys.signBase64(Buffer.from(v2.sha256, 'hex')),
    ...overrides,
  });

  it('reports status with version, drain state, capacity and last backup', async () => {
    const { status, body } = await call(fleet.baseUrl, 'GET', `${agent}/status`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      name: 'sim-0001',
      version: '1.0.0',
      previousVersion: null,
      healthy: true,
      draining: false,
      lastBackupAt: null,
      capacity: {
        cpuPercentFree: expect.any(Number),
        memoryMbFree: expect.any(Number),
        diskMbFree: expect.any(Number),
      },
    });
    expect(body['instanceId']).toEqual(expect.any(String));
  });

  it('drains, upgrades keeping the previous version, reports health, and undrains', async () => {
    expect(
      (await call(fleet.baseUrl, 'POST', `${agent}/drain`, { commandId: newCommandId() })).body,
    ).toMatchObject({ draining: true });
    const upgraded = await call(fleet.baseUrl, 'POST', `${agent}/upgrade`, upgradeBody(newCommandId()));
    expect(upgraded).toMatchObject({
      status: 200,
      body: { version: '2.0.0', previousVersion: '1.0.0', applied: true },
    });
    const health = await call(fleet.baseUrl, 'GET', `${agent}/health`);
    expect(health.body).toMatchObject({ healthy: true, version: '2.0.0' });
    expect(health.body['checks']).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'application', healthy: true })]),
    );
    expect(
      (await call(fleet.baseUrl, 'POST', `${agent}/undrain`, { commandId: newCommandId() })).body,
    ).toMatchObject({ draining: false });
  });

  it('answers a repeated commandId with the first outcome and no second effect', async () => {
    await call(fleet.baseUrl, 'POST', `${agent}/drain`, { commandId: newCommandId() });
    const commandId = newCommandId();
    const first = await call(fleet.baseUrl, 'POST', `${agent}/upgrade`, upgradeBody(commandId));
    const again = await call(fleet.baseUrl, 'POST', `${agent}/upgrade`, upgradeBody(commandId));
    expect(again).toEqual(first);
    const rollbackId = newCommandId();
    await call(fleet.baseUrl, 'POST', `${agent}/rollback`, { commandId: rollbackId });
    await call(fleet.baseUrl, 'POST', `${agent}/rollback`, { commandId: rollbackId });
    // A replayed upgrade after the rollback must not re-apply it either.
    await call(fleet.baseUrl, 'POST', `${agent}/upgrade`, upgradeBody(commandId));
    const view = fleet.instance('sim-0001');
    expect(view.version).toBe('1.0.0');
    expect(view.counters).toMatchObject({ upgradesApplied: 1, rollbacksApplied: 1, replays: 3 });
  });

  it('runs concurrent calls with one commandId once', async () => {
    fleet.setLatency({ upgrade: { kind: 'fixed', ms: 50 } });
    await call(fleet.baseUrl, 'POST', `${agent}/drain`, { commandId: newCommandId() });
    const commandId = newCommandId();
    const replies = await Promise.all(
      Array.from({ length: 5 }, () =>
        call(fleet.baseUrl, 'POST', `${agent}/upgrade`, upgradeBody(commandId)),
      ),
    );
    expect(new Set(replies.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(fleet.instance('sim-0001').counters.upgradesApplied).toBe(1);
  });

  it('refuses a commandId reused for another operation', async () => {
    const commandId = newCommandId();
    await call(fleet.baseUrl, 'POST', `${agent}/drain`, { commandId });
    const reused = await call(fleet.baseUrl, 'POST', `${agent}/backup`, { commandId });
    expect(reused).toMatchObject({ status: 409, body: { code: 'command-id-reused', transient: false } });
  });

  it('refuses to upgrade an instance that still takes traffic', async () => {
    const reply = await call(fleet.baseUrl, 'POST', `${agent}/upgrade`, upgradeBody(newCommandId()));
    expect(reply).toMatchObject({ status: 409, body: { code: 'not-drained' } });
    expect(fleet.instance('sim-0001').version).toBe('1.0.0');
  });

  it('rejects a digest mismatch before applying anything', async () => {
    await call(fleet.baseUrl, 'POST', `${agent}/drain`, { commandId: newCommandId() });
    const reply = await call(
      fleet.baseUrl,
      'POST',
      `${agent}/upgrade`,
      upgradeBody(newCommandId(), { sha256: 'a'.repeat(64) }),
    );
    expect(reply).toMatchObject({ status: 422, body: { code: 'digest-mismatch', transient: false } });
    expect(fleet.instance('sim-0001')).toMatchObject({ version: '1.0.0', previousVersion: null });
  });

  it('verifies an ed25519 signature over the artifact digest (docs/signing.md) and rejects a forged one', async () => {
    await call(fleet.baseUrl, 'POST', `${agent}/drain`, { commandId: newCommandId() });
    const forged = await call(
      fleet.baseUrl,
      'POST',
      `${agent}/upgrade`,
      upgradeBody(newCommandId(), { signature: signingKeyPair().signBase64(Buffer.from(v2.sha256, 'hex')) }),
    );
    expect(forged).toMatchObject({ status: 422, body: { code: 'signature-invalid' } });
    const signed = await call(
      fleet.baseUrl,
      'POST',
      `${agent}/upgrade`,
      upgradeBody(newCommandId(), { signature: keys.signBase64(Buffer.from(v2.sha256, 'hex')) }),
    );
    expect(signed).toMatchObject({ status: 200, body: { version: '2.0.0' } });
  });

  it('answers 503 (transient) when the artifact cannot be fetched, and the retry can succeed', async () => {
    await call(fleet.baseUrl, 'POST', `${agent}/drain`, { commandId: newCommandId() });
    const commandId = newCommandId();
    const reply = await call(
      fleet.baseUrl,
      'POST',
      `${agent}/upgrade`,
      upgradeBody(commandId, { artifactUrl: 'http://artifacts.test/missing' }),
    );
    expect(reply).toMatchObject({ status: 503, body: { code: 'artifact-unavailable', transient: true } });
    expect(fleet.instance('sim-0001').version).toBe('1.0.0');
  });

  it('validates the request: commandId and upgrade fields are required', async () => {
    expect((await call(fleet.baseUrl, 'POST', `${agent}/drain`, {})).status).toBe(400);
    const reply = await call(fleet.baseUrl, 'POST', `${agent}/upgrade`, {
      commandId: newCommandId(),
      version: '2.0.0',
    });
    expect(reply).toMatchObject({ status: 400, body: { code: 'invalid-request' } });
    expect((await call(fleet.baseUrl, 'GET', '/i/sim-9999/agent/status')).status).toBe(404);
  });

  it('rolls back to the kept previous version, and a rollback with nothing applied is a no-op', async () => {
    const noop = await call(fleet.baseUrl, 'POST', `${agent}/rollback`, { commandId: newCommandId() });
    expect(noop.body).toMatchObject({ version: '1.0.0', rolledBack: false });
    await call(fleet.baseUrl, 'POST', `${agent}/drain`, { commandId: newCommandId() });
    await call(fleet.baseUrl, 'POST', `${agent}/upgrade`, upgradeBody(newCommandId()));
    const rolled = await call(fleet.baseUrl, 'POST', `${agent}/rollback`, { commandId: newCommandId() });
    expect(rolled.body).toMatchObject({ version: '1.0.0', rolledBack: true, rolledBackFrom: '2.0.0' });
  });

  it('records a backup', async () => {
    const reply = await call(fleet.baseUrl, 'POST', `${agent}/backup`, { commandId: newCommandId() });
    expect(reply.body['lastBackupAt']).toEqual(expect.any(String));
    expect((await call(fleet.baseUrl, 'GET', `${agent}/status`)).body['lastBackupAt']).toBe(
      reply.body['lastBackupAt'],
    );
  });
});

describe('rollback after a failed upgrade attempt', () => {
  const v3 = testArtifact('3.0.0');
  let fleet: Fleet;

  beforeEach(async () => {
    fleet = await startFleet({
      agentKeys: testAgentKeys,
      instances: 1,
      initialVersion: '1.0.0',
      artifactSource: memoryArtifactSource([v2, v3]),
    });
  });

  afterEach(async () => {
    await fleet.stop();
  });

  const upgrade = (artifact: typeof v2, version: string) =>
    call(fleet.baseUrl, 'POST', '/i/sim-0001/agent/upgrade', {
      commandId: newCommandId(),
      version,
      artifactUrl: artifact.url,
      sha256: artifact.sha256,
      signature: null,
    });

  it('leaves the running version when the last attempt applied nothing, instead of reviving an older one', async () => {
    await call(fleet.baseUrl, 'POST', '/i/sim-0001/agent/drain', { commandId: newCommandId() });
    expect((await upgrade(v2, '2.0.0')).status).toBe(200);
    fleet.setFaults({ upgradeFails: { instances: ['sim-0001'] } });
    expect((await upgrade(v3, '3.0.0')).status).toBe(422);
    const rolled = await call(fleet.baseUrl, 'POST', '/i/sim-0001/agent/rollback', {
      commandId: newCommandId(),
      toVersion: '2.0.0',
    });
    expect(rolled).toMatchObject({ status: 200, body: { version: '2.0.0', rolledBack: false } });
  });

  it('refuses to end on another version than the caller expects', async () => {
    await call(fleet.baseUrl, 'POST', '/i/sim-0001/agent/drain', { commandId: newCommandId() });
    await upgrade(v2, '2.0.0');
    const refused = await call(fleet.baseUrl, 'POST', '/i/sim-0001/agent/rollback', {
      commandId: newCommandId(),
      toVersion: '0.9.0',
    });
    expect(refused).toMatchObject({ status: 422, body: { code: 'rollback-target-unavailable' } });
    expect(fleet.instance('sim-0001').version).toBe('2.0.0');
  });
});

/**
 * The simulator answers with the bodies libs/contracts defines for the agent protocol
 * (docs/agent-protocol.md): each kind of answer is checked against its schema, so that the simulated
 * fleet and the contract the workers and the orchestrator rely on cannot drift apart.
 */
describe('reply bodies of a simulated instance against the agent protocol contract', () => {
  let fleet: Fleet;
  const agent = '/i/sim-0001/agent';

  beforeEach(async () => {
    fleet = await startFleet({
      agentKeys: testAgentKeys,
      instances: 1,
      initialVersion: '1.0.0',
      artifactSource: memoryArtifactSource([v2]),
      lastBackupAt: null,
    });
  });

  afterEach(async () => {
    await fleet.stop();
  });

  /** Empty when the body conforms; otherwise what is wrong with it, so a failure names the field. */
  function violations(schema: TSchema, body: unknown): string[] {
    if (Value.Check(schema, body)) return [];
    return [...Value.Errors(schema, body)].map((error) => `${error.path || '/'}: ${error.message}`);
  }

  const upgrade = (version: string) =>
    call(fleet.baseUrl, 'POST', `${agent}/upgrade`, {
      commandId: newCommandId(),
      version,
      artifactUrl: v2.url,
      sha256: v2.sha256,
      signature: null,
    });

  it('answers status, health, drain and undrain with AgentStatus and AgentHealth bodies', async () => {
    const status = await call(fleet.baseUrl, 'GET', `${agent}/status`);
    expect(status.status).toBe(200);
    expect(violations(AgentStatusSchema, status.body)).toEqual([]);
    const health = await call(fleet.baseUrl, 'GET', `${agent}/health`);
    expect(health.status).toBe(200);
    expect(violations(AgentHealthSchema, health.body)).toEqual([]);
    const drained = await call(fleet.baseUrl, 'POST', `${agent}/drain`, { commandId: newCommandId() });
    expect(drained).toMatchObject({ status: 200, body: { draining: true } });
    expect(violations(AgentStatusSchema, drained.body)).toEqual([]);
    const undrained = await call(fleet.baseUrl, 'POST', `${agent}/undrain`, { commandId: newCommandId() });
    expect(undrained).toMatchObject({ status: 200, body: { draining: false } });
    expect(violations(AgentStatusSchema, undrained.body)).toEqual([]);
  });

  it('answers every kind of upgrade and rollback with a VersionReply body', async () => {
    const noopRollback = await call(fleet.baseUrl, 'POST', `${agent}/rollback`, {
      commandId: newCommandId(),
    });
    expect(noopRollback).toMatchObject({ status: 200, body: { rolledBack: false } });
    await call(fleet.baseUrl, 'POST', `${agent}/drain`, { commandId: newCommandId() });
    const applied = await upgrade('2.0.0');
    expect(applied).toMatchObject({ status: 200, body: { applied: true, sha256: v2.sha256 } });
    const alreadyRunning = await upgrade('2.0.0');
    expect(alreadyRunning).toMatchObject({ status: 200, body: { applied: false } });
    const rolledBack = await call(fleet.baseUrl, 'POST', `${agent}/rollback`, {
      commandId: newCommandId(),
      toVersion: '1.0.0',
    });
    expect(rolledBack).toMatchObject({ status: 200, body: { rolledBack: true, rolledBackFrom: '2.0.0' } });
    for (const reply of [noopRollback, applied, alreadyRunning, rolledBack]) {
      expect(violations(AgentVersionReplySchema, reply.body)).toEqual([]);
    }
  });

  it('answers a backup with a BackupReply body', async () => {
    const backup = await call(fleet.baseUrl, 'POST', `${agent}/backup`, { commandId: newCommandId() });
    expect(backup.status).toBe(200);
    expect(violations(AgentBackupReplySchema, backup.body)).toEqual([]);
  });

  it('refuses with AgentProblem bodies, permanent and transient', async () => {
    const invalid = await call(fleet.baseUrl, 'POST', `${agent}/drain`, {});
    const notDrained = await upgrade('2.0.0');
    await call(fleet.baseUrl, 'POST', `${agent}/drain`, { commandId: newCommandId() });
    const unavailable = await call(fleet.baseUrl, 'POST', `${agent}/upgrade`, {
      commandId: newCommandId(),
      version: '2.0.0',
      artifactUrl: 'http://artifacts.test/missing',
      sha256: v2.sha256,
    });
    const unsigned = await fetch(`${fleet.baseUrl}${agent}/status`);
    const unauthenticated = { status: unsigned.status, body: (await unsigned.json()) as unknown };
    expect([invalid, notDrained, unavailable, unauthenticated].map((reply) => reply.status)).toEqual([
      400, 409, 503, 401,
    ]);
    for (const reply of [invalid, notDrained, unavailable, unauthenticated]) {
      expect(violations(AgentProblemSchema, reply.body)).toEqual([]);
    }
  });
});
