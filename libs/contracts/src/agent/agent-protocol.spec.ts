import { Value } from '@sinclair/typebox/value';
import {
  AgentCommandRequestSchema,
  AgentHealthSchema,
  AgentProblemCode,
  AgentProblemSchema,
  AgentRollbackRequestSchema,
  AgentStatusSchema,
  AgentUpgradeRequestSchema,
  AgentVersionReplySchema,
} from './agent-protocol';

const COMMAND_ID = '3f2c1a9e-8d7b-4c6a-9e5f-1a2b3c4d5e6f';
const SHA256 = 'a'.repeat(64);

describe('agent protocol schemas (docs/agent-protocol.md)', () => {
  it('accept the status an agent answers, with or without a backup', () => {
    const status = {
      instanceId: '7b0e5c1a-2f3d-4e6a-8b9c-0d1e2f3a4b5c',
      name: 'sim-0007',
      version: '2.4.1',
      previousVersion: null,
      healthy: true,
      draining: false,
      capacity: { cpuPercentFree: 60, memoryMbFree: 4096, diskMbFree: 20480 },
      lastBackupAt: '2026-11-30T08:00:00.000Z',
    };
    expect(Value.Check(AgentStatusSchema, status)).toBe(true);
    expect(Value.Check(AgentStatusSchema, { ...status, lastBackupAt: null, previousVersion: '2.4.0' })).toBe(
      true,
    );
    expect(Value.Check(AgentStatusSchema, { ...status, capacity: { cpuPercentFree: 120 } })).toBe(false);
  });

  it('accept a health answer whose checks may leave out their detail', () => {
    const health = {
      healthy: false,
      version: '2.5.0',
      checks: [
        { name: 'process', healthy: true },
        { name: 'application', healthy: false, detail: 'probe' },
      ],
    };
    expect(Value.Check(AgentHealthSchema, health)).toBe(true);
    expect(Value.Check(AgentHealthSchema, { healthy: true, version: '2.5.0' })).toBe(false);
  });

  it('take an upgrade request whose signature is a string, null or absent, and a hex digest', () => {
    const request = {
      commandId: COMMAND_ID,
      version: '2.5.0',
      artifactUrl: 'https://a.example/x.tgz',
      sha256: SHA256,
    };
    expect(Value.Check(AgentUpgradeRequestSchema, request)).toBe(true);
    expect(Value.Check(AgentUpgradeRequestSchema, { ...request, signature: null })).toBe(true);
    expect(Value.Check(AgentUpgradeRequestSchema, { ...request, signature: 'c2ln' })).toBe(true);
    expect(Value.Check(AgentUpgradeRequestSchema, { ...request, sha256: 'xyz' })).toBe(false);
    expect(Value.Check(AgentUpgradeRequestSchema, { ...request, commandId: 'not-a-uuid' })).toBe(false);
  });

  it('take an optional fencing token, a whole number from 1, on every mutating request', () => {
    const upgrade = {
      commandId: COMMAND_ID,
      version: '2.5.0',
      artifactUrl: 'https://a.example/x.tgz',
      sha256: SHA256,
    };
    expect(Value.Check(AgentUpgradeRequestSchema, { ...upgrade, fencingToken: 42 })).toBe(true);
    expect(Value.Check(AgentCommandRequestSchema, { commandId: COMMAND_ID, fencingToken: 1 })).toBe(true);
    expect(Value.Check(AgentCommandRequestSchema, { commandId: COMMAND_ID })).toBe(true);
    expect(
      Value.Check(AgentRollbackRequestSchema, { commandId: COMMAND_ID, fencingToken: 7, toVersion: '2.4.1' }),
    ).toBe(true);
    for (const fencingToken of [0, 1.5, '3'])
      expect(Value.Check(AgentCommandRequestSchema, { commandId: COMMAND_ID, fencingToken })).toBe(false);
  });

  it('take a rollback request with an optional target version', () => {
    expect(Value.Check(AgentRollbackRequestSchema, { commandId: COMMAND_ID })).toBe(true);
    expect(Value.Check(AgentRollbackRequestSchema, { commandId: COMMAND_ID, toVersion: '2.4.1' })).toBe(true);
    expect(Value.Check(AgentRollbackRequestSchema, {})).toBe(false);
  });

  it('describe the upgrade and rollback answers with one version reply', () => {
    const upgraded = { version: '2.5.0', previousVersion: '2.4.1', applied: true, sha256: SHA256 };
    const rolledBack = { version: '2.4.1', previousVersion: null, rolledBack: true, rolledBackFrom: '2.5.0' };
    expect(Value.Check(AgentVersionReplySchema, upgraded)).toBe(true);
    expect(Value.Check(AgentVersionReplySchema, rolledBack)).toBe(true);
    expect(Value.Check(AgentVersionReplySchema, { version: '2.5.0' })).toBe(false);
  });

  it('limit a problem answer to the documented codes', () => {
    const problem = {
      type: 'urn:upshift:agent:problem:not-drained',
      title: 'Drain the instance first',
      status: 409,
      detail: 'sim-0007 still takes traffic; drain it before upgrading',
      code: AgentProblemCode.NOT_DRAINED,
      transient: false,
    };
    expect(Value.Check(AgentProblemSchema, problem)).toBe(true);
    expect(Value.Check(AgentProblemSchema, { ...problem, code: 'teapot' })).toBe(false);
  });
});
