import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import {
  AgentProblemCode,
  agentStatusReason,
  CommandOutcome,
  ConsumerGroups,
  InstanceCommandType,
  InstanceStep,
  Topics,
  type InstanceCommandResult,
  type InstanceStepReport,
} from '@upshift/contracts';
import {
  createTestRedis,
  eventually,
  startTestBroker,
  type TestBroker,
  type TestRedis,
} from '@upshift/testing';
import { staleAppliedCalls, type Fleet } from '@upshift/fleet';
import { InstanceLeases } from '../src/lease/instance-lease';
import type { RunningWorker } from '../src/worker';
import {
  buildCommand,
  KafkaPeer,
  nextFencingToken,
  startTestWorker,
  workerConfig,
  startTestFleet,
} from './worker-harness';

jest.setTimeout(60_000);

const stepsOf = (report: InstanceCommandResult) => report.steps.map((s) => [s.step, s.outcome]);

/** Each step ends before the next starts, and none ends before it starts. */
function expectInOrder(steps: InstanceStepReport[]): void {
  for (const [i, step] of steps.entries()) {
    expect(Date.parse(step.finishedAt)).toBeGreaterThanOrEqual(Date.parse(step.startedAt));
    const next = steps[i + 1];
    if (next) expect(Date.parse(next.startedAt)).toBeGreaterThanOrEqual(Date.parse(step.finishedAt));
  }
}

describe('worker against the embedded broker, Redis and a simulated fleet', () => {
  let broker: TestBroker;
  let redis: TestRedis;
  let client: Redis;
  let fleet: Fleet;
  let peer: KafkaPeer;
  let worker: RunningWorker;

  beforeAll(async () => {
    broker = await startTestBroker();
    redis = await createTestRedis('worker');
    client = new Redis(redis.url);
    fleet = await startTestFleet(14);
    peer = new KafkaPeer(broker.brokers);
    await peer.start();
    worker = await startTestWorker(workerConfig(broker.brokers, redis.url, redis.prefix));
  });

  afterAll(async () => {
    await worker?.stop();
    await peer?.stop();
    await fleet?.stop();
    await client?.quit();
    await redis?.cleanup();
    await broker?.stop();
  });

  beforeEach(() => {
    fleet.setFaults({});
    fleet.setLatency({});
  });

  it('carries an UPGRADE through drain, upgrade and health check; a fast instance costs one final report', async () => {
    const executionId = '7d0c5bd6-6e0b-4f4e-9d76-0c9b58b8a001';
    const upgrade = buildCommand(fleet, 'sim-0001', InstanceCommandType.UPGRADE, { executionId });
    await peer.send(upgrade);
    const reports = await peer.reportsUntilFinal(upgrade.commandId);
    expect(reports).toHaveLength(1);
    const [report] = reports as [InstanceCommandResult];
    expect(report).toMatchObject({
      commandId: upgrade.commandId,
      executionId,
      type: InstanceCommandType.UPGRADE,
      fencingToken: upgrade.fencingToken,
      final: true,
      workerId: worker.workerId,
    });
    expect(report.steps.map((s) => [s.step, s.outcome, s.reason, s.observedVersion])).toEqual([
      [InstanceStep.DRAIN, CommandOutcome.SUCCEEDED, null, '1.0.0'],
      [InstanceStep.UPGRADE, CommandOutcome.SUCCEEDED, null, '2.0.0'],
      [InstanceStep.HEALTH_CHECK, CommandOutcome.SUCCEEDED, null, '2.0.0'],
    ]);
    expectInOrder(report.steps);
    // The health check returned the instance to service.
    const instance = fleet.instance('sim-0001');
    expect(instance).toMatchObject({
      version: '2.0.0',
      previousVersion: '1.0.0',
      draining: false,
      outOfService: false,
      counters: { drains: 1, upgradesApplied: 1, undrains: 1, replays: 0 },
      fencingToken: upgrade.fencingToken,
    });
    // Every agent call carried the command's token, each under its own idempotency key.
    expect(instance.appliedCalls.map((c) => [c.operation, c.fencingToken, c.status])).toEqual([
      ['drain', upgrade.fencingToken, 200],
      ['upgrade', upgrade.fencingToken, 200],
      ['undrain', upgrade.fencingToken, 200],
    ]);
    expect(new Set(instance.appliedCalls.map((c) => c.commandId)).size).toBe(3);
  });

  it('reports each step of a slow instance as it ends, the last one final', async () => {
    // Each step takes a second, far more than the 250 ms window: nothing to fold together.
    fleet.setLatency({
      drain: { kind: 'fixed', ms: 1000 },
      upgrade: { kind: 'fixed', ms: 1000 },
      undrain: { kind: 'fixed', ms: 1000 },
    });
    const upgrade = buildCommand(fleet, 'sim-0002', InstanceCommandType.UPGRADE);
    await peer.send(upgrade);
    const first = await eventually(() => peer.resultsFor(upgrade.commandId)[0], {
      what: 'the first step report',
    });
    expect(first).toMatchObject({ final: false, steps: [{ step: InstanceStep.DRAIN }] });
    // Reported while the instance is still being upgraded.
    expect(fleet.instance('sim-0002').version).toBe('1.0.0');
    const reports = await peer.reportsUntilFinal(upgrade.commandId);
    expect(reports.map((r) => [r.final, ...stepsOf(r)])).toEqual([
      [false, [InstanceStep.DRAIN, CommandOutcome.SUCCEEDED]],
      [false, [InstanceStep.UPGRADE, CommandOutcome.SUCCEEDED]],
      [true, [InstanceStep.HEALTH_CHECK, CommandOutcome.SUCCEEDED]],
    ]);
    expectInOrder(reports.flatMap((r) => r.steps));
    expect(fleet.instance('sim-0002')).toMatchObject({ version: '2.0.0', draining: false });
  });

  it('ends a command whose upgrade fails with a failed UPGRADE step: no health check, no undrain', async () => {
    fleet.setFaults({ upgradeFails: { instances: ['sim-0003'] } });
    const upgrade = buildCommand(fleet, 'sim-0003', InstanceCommandType.UPGRADE);
    await peer.send(upgrade);
    const report = await peer.resultOf(upgrade.commandId);
    expect(report.steps.map((s) => [s.step, s.outcome, s.reason, s.observedVersion])).toEqual([
      [InstanceStep.DRAIN, CommandOutcome.SUCCEEDED, null, '1.0.0'],
      [
        InstanceStep.UPGRADE,
        CommandOutcome.FAILED,
        'agent refused the request (HTTP 422 upgrade-failed)',
        null,
      ],
    ]);
    // Two requests only, drain and upgrade: the permanent refusal was not retried, nothing came after it.
    expect(fleet.instance('sim-0003')).toMatchObject({
      version: '1.0.0',
      draining: true,
      counters: { requests: 2, undrains: 0 },
    });
  });

  it('fails a health check that stays unhealthy past the timeout and leaves the instance drained', async () => {
    fleet.setFaults({ unhealthyAfterUpgrade: { instances: ['sim-0004'] } });
    const upgrade = buildCommand(fleet, 'sim-0004', InstanceCommandType.UPGRADE, {
      healthCheckIntervalSeconds: 1,
      healthCheckTimeoutSeconds: 2,
    });
    await peer.send(upgrade);
    const reports = await peer.reportsUntilFinal(upgrade.commandId);
    const steps = reports.flatMap((r) => r.steps);
    expect(steps.map((s) => [s.step, s.outcome])).toEqual([
      [InstanceStep.DRAIN, CommandOutcome.SUCCEEDED],
      [InstanceStep.UPGRADE, CommandOutcome.SUCCEEDED],
      [InstanceStep.HEALTH_CHECK, CommandOutcome.FAILED],
    ]);
    const health = steps[2] as InstanceStepReport;
    expect(health).toMatchObject({ observedVersion: '2.0.0' });
    expect(health.reason).toMatch(/not healthy within 2 s/);
    expect(Date.parse(health.finishedAt) - Date.parse(health.startedAt)).toBeGreaterThanOrEqual(1000);
    expect(fleet.instance('sim-0004')).toMatchObject({
      draining: true,
      healthy: false,
      counters: { undrains: 0 },
    });
    // A timeout is not definitive: no final report is cached, a redelivery would check again.
    expect(await client.get(`${redis.prefix}:report:${upgrade.commandId}`)).toBeNull();
  });

  it('runs ROLLBACK as one step: restores the previous version and undrains', async () => {
    const upgrade = buildCommand(fleet, 'sim-0005', InstanceCommandType.UPGRADE);
    await peer.send(upgrade);
    await peer.resultOf(upgrade.commandId);
    const rollback = buildCommand(fleet, 'sim-0005', InstanceCommandType.ROLLBACK);
    await peer.send(rollback);
    const reports = await peer.reportsUntilFinal(rollback.commandId);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({
      type: InstanceCommandType.ROLLBACK,
      final: true,
      fencingToken: rollback.fencingToken,
      steps: [{ step: InstanceStep.ROLLBACK, outcome: CommandOutcome.SUCCEEDED, observedVersion: '1.0.0' }],
    });
    const instance = fleet.instance('sim-0005');
    expect(instance).toMatchObject({ version: '1.0.0', draining: false, counters: { rollbacksApplied: 1 } });
    expect(instance.appliedCalls.map((c) => [c.operation, c.fencingToken])).toEqual([
      ['drain', upgrade.fencingToken],
      ['upgrade', upgrade.fencingToken],
      ['undrain', upgrade.fencingToken],
      ['rollback', rollback.fencingToken],
      ['undrain', rollback.fencingToken],
    ]);
    expect(staleAppliedCalls(instance.appliedCalls)).toEqual([]);
  });

  it('retries transient agent errors with backoff and succeeds', async () => {
    fleet.setFaults({ transientErrors: { instances: ['sim-0006'], count: 2 } });
    const upgrade = buildCommand(fleet, 'sim-0006', InstanceCommandType.UPGRADE);
    await peer.send(upgrade);
    const report = await peer.resultOf(upgrade.commandId);
    expect(report.steps.every((s) => s.outcome === CommandOutcome.SUCCEEDED)).toBe(true);
    expect(fleet.instance('sim-0006').counters).toMatchObject({ drains: 1, upgradesApplied: 1 });
  });

  it('fails the DRAIN step when transient errors outlast the retries (a crashed instance)', async () => {
    await fetch(`${fleet.baseUrl}/admin/instances/sim-0007/crash`, { method: 'POST' });
    const upgrade = buildCommand(fleet, 'sim-0007', InstanceCommandType.UPGRADE);
    await peer.send(upgrade);
    const report = await peer.resultOf(upgrade.commandId);
    // The fixed text only: the socket error (with the fleet's host and port) stays in the logs.
    expect(report.steps).toMatchObject([
      {
        step: InstanceStep.DRAIN,
        outcome: CommandOutcome.FAILED,
        reason: 'agent unreachable (after 4 attempts)',
      },
    ]);
  });

  it('fails a command whose agent URL points at a refused address, without calling it (ADR 0072)', async () => {
    const upgrade = buildCommand(fleet, 'sim-0008', InstanceCommandType.UPGRADE, {
      agentUrl: 'http://169.254.169.254/i/sim-0008',
    });
    await peer.send(upgrade);
    expect((await peer.resultOf(upgrade.commandId)).steps).toMatchObject([
      { step: InstanceStep.DRAIN, outcome: CommandOutcome.FAILED, reason: 'agent address not allowed' },
    ]);
    expect(fleet.instance('sim-0008').counters.requests).toBe(0);
  });

  it('answers a redelivered finished command from the cache: the full final report, no agent request', async () => {
    // Slow enough for a report per step, so the live final report carries the last step only.
    fleet.setLatency({ drain: { kind: 'fixed', ms: 600 }, upgrade: { kind: 'fixed', ms: 600 } });
    const upgrade = buildCommand(fleet, 'sim-0009', InstanceCommandType.UPGRADE);
    await peer.send(upgrade);
    // Delivered twice at once: the second waits behind the first, then finds its final report.
    await peer.send(upgrade);
    const live = await peer.reportsUntilFinal(upgrade.commandId);
    expect(live.length).toBeGreaterThan(1);
    const replayed = await eventually(() => peer.resultsFor(upgrade.commandId)[live.length], {
      what: 'the replayed report',
    });
    const allSteps = live.flatMap((r) => r.steps);
    expect(replayed).toEqual({ ...(live[live.length - 1] as InstanceCommandResult), steps: allSteps });
    expect(allSteps.map((s) => s.step)).toEqual([
      InstanceStep.DRAIN,
      InstanceStep.UPGRADE,
      InstanceStep.HEALTH_CHECK,
    ]);

    // Once more, after the fact: every request the agent receives is counted, replays and reads included.
    const before = fleet.instance('sim-0009');
    const replaysBefore = worker.stats.replayed;
    await peer.send(upgrade);
    const again = await eventually(() => peer.resultsFor(upgrade.commandId)[live.length + 1], {
      what: 'the second replayed report',
    });
    expect(again).toEqual(replayed);
    expect(worker.stats.replayed).toBe(replaysBefore + 1);
    expect(fleet.instance('sim-0009')).toEqual(before);
    expect(before.counters).toMatchObject({ drains: 1, upgradesApplied: 1, undrains: 1, replays: 0 });
  });

  it('refuses a command older than the newest seen for its instance: no agent request at all', async () => {
    const late = buildCommand(fleet, 'sim-0010', InstanceCommandType.UPGRADE);
    const newer = buildCommand(fleet, 'sim-0010', InstanceCommandType.ROLLBACK);
    await peer.send(newer);
    await peer.resultOf(newer.commandId);
    const before = fleet.instance('sim-0010');
    const refusedBefore = worker.stats.staleRefused;

    await peer.send(late);
    const report = await peer.resultOf(late.commandId);
    expect(report).toMatchObject({
      final: true,
      fencingToken: late.fencingToken,
      steps: [
        {
          step: InstanceStep.DRAIN,
          outcome: CommandOutcome.FAILED,
          reason: `stale fencing token ${late.fencingToken} < ${newer.fencingToken}`,
          observedVersion: null,
        },
      ],
    });
    expect(worker.stats.staleRefused).toBe(refusedBefore + 1);
    expect(fleet.instance('sim-0010')).toEqual(before);
    expect(await client.get(`${redis.prefix}:fence:instance:${late.instanceId}`)).toBe(
      String(newer.fencingToken),
    );
  });

  it('fails the step the agent refuses for a stale token (409), leaving the instance unchanged', async () => {
    // Another party drove the instance under a newer token than this worker's Redis has seen.
    const newest = nextFencingToken() + 1000;
    await fleet
      .agent('sim-0011')
      .drain({ commandId: '0b7f6a52-5d1e-4c1f-9a0e-6a3f3c2d1e01', fencingToken: newest });
    const before = fleet.instance('sim-0011');
    const upgrade = buildCommand(fleet, 'sim-0011', InstanceCommandType.UPGRADE);
    await peer.send(upgrade);
    const report = await peer.resultOf(upgrade.commandId);
    expect(report.steps).toMatchObject([
      {
        step: InstanceStep.DRAIN,
        outcome: CommandOutcome.FAILED,
        reason: agentStatusReason(409, AgentProblemCode.STALE_FENCING_TOKEN),
      },
    ]);
    // One request, refused: not retried, and nothing about the instance changed.
    expect(fleet.instance('sim-0011')).toEqual({
      ...before,
      counters: { ...before.counters, requests: before.counters.requests + 1 },
    });
  });

  it('sends poison messages to upgrade.dlq with the error, commits past them, and keeps going', async () => {
    const before = peer.deadLetters.length;
    await peer.sendRaw('poison-1', 'this is not JSON');
    await peer.sendRaw(
      'poison-2',
      JSON.stringify({ specversion: '1.0', type: 'upshift.command.v1', data: { commandId: 'nope' } }),
    );
    const valid = buildCommand(fleet, 'sim-0012', InstanceCommandType.ROLLBACK);
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
        return committed >= peer.sent ? committed : undefined;
      },
      { what: 'offsets committed past the poison messages' },
    );
  });

  it('waits while another holder has the instance lease, then runs the command', async () => {
    const leases = new InstanceLeases(client, {
      ttlMs: 10_000,
      prefix: redis.prefix,
      holder: 'someone-else',
    });
    const instanceId = fleet.instance('sim-0013').instanceId;
    const held = await leases.tryAcquire(instanceId);
    expect(held).not.toBeNull();
    const upgrade = buildCommand(fleet, 'sim-0013', InstanceCommandType.UPGRADE);
    await peer.send(upgrade);
    await sleep(1500);
    expect(peer.resultsFor(upgrade.commandId)).toHaveLength(0);
    expect(fleet.instance('sim-0013').counters.requests).toBe(0);
    await held?.release();
    const report = await peer.resultOf(upgrade.commandId);
    expect(report.steps.map((s) => s.outcome)).toEqual([
      CommandOutcome.SUCCEEDED,
      CommandOutcome.SUCCEEDED,
      CommandOutcome.SUCCEEDED,
    ]);
  });
});
