import { setTimeout as sleep } from 'node:timers/promises';
import { CommandOutcome, ConsumerGroups, InstanceCommandType, Topics } from '@upshift/contracts';
import {
  createTestRedis,
  eventually,
  startTestBroker,
  type TestBroker,
  type TestRedis,
} from '@upshift/testing';
import type { Fleet } from '@upshift/fleet';
import { InstanceLeases } from '../src/lease/instance-lease';
import type { RunningWorker } from '../src/worker';
import { buildCommand, KafkaPeer, startTestWorker, workerConfig, startTestFleet } from './worker-harness';

jest.setTimeout(60_000);

describe('worker against the embedded broker, Redis and a simulated fleet', () => {
  let broker: TestBroker;
  let redis: TestRedis;
  let fleet: Fleet;
  let peer: KafkaPeer;
  let worker: RunningWorker;

  beforeAll(async () => {
    broker = await startTestBroker();
    redis = await createTestRedis('worker');
    fleet = await startTestFleet(12);
    peer = new KafkaPeer(broker.brokers);
    await peer.start();
    worker = await startTestWorker(workerConfig(broker.brokers, redis.url, redis.prefix));
  });

  afterAll(async () => {
    await worker?.stop();
    await peer?.stop();
    await fleet?.stop();
    await redis?.cleanup();
    await broker?.stop();
  });

  beforeEach(() => {
    fleet.setFaults({});
    fleet.setLatency({});
  });

  it('runs DRAIN, UPGRADE, HEALTH_CHECK (which returns the instance to service) and reports each', async () => {
    const executionId = '7d0c5bd6-6e0b-4f4e-9d76-0c9b58b8a001';
    const drain = buildCommand(fleet, 'sim-0001', InstanceCommandType.DRAIN, { executionId });
    await peer.send(drain);
    expect(await peer.resultOf(drain.commandId)).toMatchObject({
      outcome: CommandOutcome.SUCCEEDED,
      type: InstanceCommandType.DRAIN,
      executionId,
      observedVersion: '1.0.0',
      reason: null,
      workerId: worker.workerId,
    });
    expect(fleet.instance('sim-0001').draining).toBe(true);

    const upgrade = buildCommand(fleet, 'sim-0001', InstanceCommandType.UPGRADE, { executionId });
    await peer.send(upgrade);
    expect(await peer.resultOf(upgrade.commandId)).toMatchObject({
      outcome: CommandOutcome.SUCCEEDED,
      observedVersion: '2.0.0',
    });
    expect(fleet.instance('sim-0001')).toMatchObject({
      version: '2.0.0',
      previousVersion: '1.0.0',
      draining: true,
    });

    const health = buildCommand(fleet, 'sim-0001', InstanceCommandType.HEALTH_CHECK, { executionId });
    await peer.send(health);
    const result = await peer.resultOf(health.commandId);
    expect(result).toMatchObject({ outcome: CommandOutcome.SUCCEEDED, observedVersion: '2.0.0' });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(Date.parse(result.finishedAt)).toBeGreaterThanOrEqual(Date.parse(result.startedAt));
    expect(fleet.instance('sim-0001')).toMatchObject({ draining: false, outOfService: false });
  });

  it('runs ROLLBACK: restores the previous version and undrains', async () => {
    for (const type of [InstanceCommandType.DRAIN, InstanceCommandType.UPGRADE]) {
      const command = buildCommand(fleet, 'sim-0002', type);
      await peer.send(command);
      await peer.resultOf(command.commandId);
    }
    const rollback = buildCommand(fleet, 'sim-0002', InstanceCommandType.ROLLBACK);
    await peer.send(rollback);
    expect(await peer.resultOf(rollback.commandId)).toMatchObject({
      outcome: CommandOutcome.SUCCEEDED,
      observedVersion: '1.0.0',
    });
    expect(fleet.instance('sim-0002')).toMatchObject({
      version: '1.0.0',
      draining: false,
      counters: { rollbacksApplied: 1 },
    });
  });

  it('reports a permanent agent failure as FAILED with the reason, without retrying', async () => {
    fleet.setFaults({ upgradeFails: { instances: ['sim-0003'] } });
    const drain = buildCommand(fleet, 'sim-0003', InstanceCommandType.DRAIN);
    await peer.send(drain);
    await peer.resultOf(drain.commandId);
    const upgrade = buildCommand(fleet, 'sim-0003', InstanceCommandType.UPGRADE);
    await peer.send(upgrade);
    const result = await peer.resultOf(upgrade.commandId);
    expect(result).toMatchObject({ outcome: CommandOutcome.FAILED, observedVersion: null });
    expect(result.reason).toBe('agent refused the request (HTTP 422 upgrade-failed)');
    expect(fleet.instance('sim-0003').version).toBe('1.0.0');
  });

  it('fails a health check that stays unhealthy past the timeout and leaves the instance drained', async () => {
    fleet.setFaults({ unhealthyAfterUpgrade: { instances: ['sim-0004'] } });
    for (const type of [InstanceCommandType.DRAIN, InstanceCommandType.UPGRADE]) {
      const command = buildCommand(fleet, 'sim-0004', type);
      await peer.send(command);
      await peer.resultOf(command.commandId);
    }
    const health = buildCommand(fleet, 'sim-0004', InstanceCommandType.HEALTH_CHECK, {
      healthCheckIntervalSeconds: 1,
      healthCheckTimeoutSeconds: 2,
    });
    await peer.send(health);
    const result = await peer.resultOf(health.commandId);
    expect(result).toMatchObject({ outcome: CommandOutcome.FAILED, observedVersion: '2.0.0' });
    expect(result.reason).toMatch(/not healthy within 2 s/);
    expect(result.durationMs).toBeGreaterThanOrEqual(1000);
    expect(fleet.instance('sim-0004')).toMatchObject({ draining: true, healthy: false });
  });

  it('retries transient agent errors with backoff and succeeds', async () => {
    fleet.setFaults({ transientErrors: { instances: ['sim-0005'], count: 2 } });
    const drain = buildCommand(fleet, 'sim-0005', InstanceCommandType.DRAIN);
    await peer.send(drain);
    expect(await peer.resultOf(drain.commandId)).toMatchObject({ outcome: CommandOutcome.SUCCEEDED });
    expect(fleet.instance('sim-0005').counters.drains).toBe(1);
  });

  it('reports FAILED when transient errors outlast the retries (a crashed instance)', async () => {
    await fetch(`${fleet.baseUrl}/admin/instances/sim-0006/crash`, { method: 'POST' });
    const drain = buildCommand(fleet, 'sim-0006', InstanceCommandType.DRAIN);
    await peer.send(drain);
    const result = await peer.resultOf(drain.commandId);
    expect(result.outcome).toBe(CommandOutcome.FAILED);
    // The fixed text only: the socket error (with the fleet's host and port) stays in the logs.
    expect(result.reason).toBe('agent unreachable (after 4 attempts)');
  });

  it('fails a command whose agent URL points at a refused address, without calling it (ADR 0072)', async () => {
    const drain = buildCommand(fleet, 'sim-0012', InstanceCommandType.DRAIN, {
      agentUrl: 'http://169.254.169.254/i/sim-0012',
    });
    await peer.send(drain);
    expect(await peer.resultOf(drain.commandId)).toMatchObject({
      outcome: CommandOutcome.FAILED,
      reason: 'agent address not allowed',
    });
    expect(fleet.instance('sim-0012').counters.drains).toBe(0);
  });

  it('upgrades once when the same command is delivered twice, and re-reports the result', async () => {
    const drain = buildCommand(fleet, 'sim-0007', InstanceCommandType.DRAIN);
    await peer.send(drain);
    await peer.resultOf(drain.commandId);
    fleet.setLatency({ upgrade: { kind: 'fixed', ms: 200 } });
    const upgrade = buildCommand(fleet, 'sim-0007', InstanceCommandType.UPGRADE);
    await peer.send(upgrade);
    await peer.send(upgrade);
    await eventually(() => (peer.resultsFor(upgrade.commandId).length >= 2 ? true : undefined), {
      what: 'two results',
    });
    const [first, second] = peer.resultsFor(upgrade.commandId);
    expect(second).toEqual(first);
    expect(fleet.instance('sim-0007').counters.upgradesApplied).toBe(1);
  });

  it('sends poison messages to upgrade.dlq with the error, commits past them, and keeps going', async () => {
    const before = peer.deadLetters.length;
    await peer.sendRaw('poison-1', 'this is not JSON');
    await peer.sendRaw(
      'poison-2',
      JSON.stringify({ specversion: '1.0', type: 'upshift.command.v1', data: { commandId: 'nope' } }),
    );
    const valid = buildCommand(fleet, 'sim-0008', InstanceCommandType.DRAIN);
    await peer.send(valid);
    await peer.resultOf(valid.commandId);
    const letters = await eventually(
      () => (peer.deadLetters.length >= before + 2 ? peer.deadLetters.slice(before) : undefined),
      {
        what: 'two dead letters',
      },
    );
    expect(letters.map((l) => l.key).sort()).toEqual(['poison-1', 'poison-2']);
    const notJson = letters.find((l) => l.key === 'poison-1');
    expect(notJson).toMatchObject({
      originalTopic: Topics.COMMANDS,
      value: 'this is not JSON',
      consumerGroup: ConsumerGroups.WORKERS,
    });
    expect(notJson?.error.message).toMatch(/not JSON/);
    const invalid = letters.find((l) => l.key === 'poison-2');
    expect(invalid?.error.problems.length).toBeGreaterThan(0);
    // Every message produced so far is committed, the poison ones included.
    await eventually(
      async () => {
        const committed = await peer.committedOffset(ConsumerGroups.WORKERS, Topics.COMMANDS);
        return committed >= peer.results.length + peer.deadLetters.length - 1 ? committed : undefined;
      },
      { what: 'offsets committed past the poison messages' },
    );
  });

  it('waits while another holder has the instance lease, then runs the command', async () => {
    const { default: Redis } = await import('ioredis');
    const client = new Redis(redis.url);
    try {
      const leases = new InstanceLeases(client, {
        ttlMs: 10_000,
        prefix: redis.prefix,
        holder: 'someone-else',
      });
      const instanceId = fleet.instance('sim-0009').instanceId;
      const held = await leases.tryAcquire(instanceId);
      expect(held).not.toBeNull();
      const drain = buildCommand(fleet, 'sim-0009', InstanceCommandType.DRAIN);
      await peer.send(drain);
      await sleep(1500);
      expect(peer.resultsFor(drain.commandId)).toHaveLength(0);
      expect(fleet.instance('sim-0009').draining).toBe(false);
      await held?.release();
      expect(await peer.resultOf(drain.commandId)).toMatchObject({ outcome: CommandOutcome.SUCCEEDED });
    } finally {
      await client.quit();
    }
  });
});
