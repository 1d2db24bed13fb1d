import { spawn, type ChildProcess } from 'child_process';
import { join } from 'path';
import { CommandOutcome, InstanceCommandType, InstanceStep } from '@upshift/contracts';
import {
  createTestRedis,
  eventually,
  startTestBroker,
  type TestBroker,
  type TestRedis,
} from '@upshift/testing';
import { staleAppliedCalls, type Fleet } from '@upshift/fleet';
import type { RunningWorker } from '../src/worker';
import { buildCommand, KafkaPeer, startTestWorker, workerConfig, startTestFleet } from './worker-harness';

jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..', '..');

/** Runs `apps/worker/src/main.ts` as its own process, as `npm run start:worker` does. */
function spawnWorker(env: Record<string, string>): {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
} {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', join(ROOT, 'apps/worker/src/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

function childEnv(config: ReturnType<typeof workerConfig>): Record<string, string> {
  return Object.fromEntries(Object.entries(config).map(([key, value]) => [key, String(value)]));
}

describe('worker failover', () => {
  let broker: TestBroker;
  let redis: TestRedis;
  let fleet: Fleet;
  let peer: KafkaPeer;
  const running: RunningWorker[] = [];
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    broker = await startTestBroker();
    redis = await createTestRedis('worker-failover');
    fleet = await startTestFleet(4);
    peer = new KafkaPeer(broker.brokers);
    await peer.start();
  });

  afterEach(async () => {
    for (const child of children.splice(0))
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const worker of running.splice(0)) await worker.stop();
  });

  afterAll(async () => {
    await peer?.stop();
    await fleet?.stop();
    await redis?.cleanup();
    await broker?.stop();
  });

  it('a worker killed with SIGKILL mid-command: another worker completes it once the lease expires, upgrading once', async () => {
    // The upgrade takes 4 s on the agent: long enough to kill the worker in the middle of it.
    fleet.setLatency({ upgrade: { kind: 'fixed', ms: 4000 } });
    const config = workerConfig(broker.brokers, redis.url, redis.prefix, { WORKER_ID: 'doomed-worker' });
    const doomed = spawnWorker(childEnv(config));
    children.push(doomed.child);

    const upgrade = buildCommand(fleet, 'sim-0001', InstanceCommandType.UPGRADE);
    await peer.send(upgrade);
    await eventually(() => (fleet.instance('sim-0001').upgrading ? true : undefined), {
      timeoutMs: 30_000,
      what: `the child worker to start the upgrade (output: ${doomed.output().slice(-500)})`,
    });
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    // At most the DRAIN step was reported; the command was not finished.
    expect(peer.resultsFor(upgrade.commandId).filter((r) => r.final)).toHaveLength(0);

    const survivor = await startTestWorker(
      workerConfig(broker.brokers, redis.url, redis.prefix, { WORKER_ID: 'survivor' }),
    );
    running.push(survivor);
    const result = await peer.resultOf(upgrade.commandId, 60_000);
    // The survivor ran every step again under the same keys: the agent replayed the drain and the upgrade.
    expect(result).toMatchObject({ final: true, workerId: 'survivor' });
    expect(result.steps.map((s) => [s.step, s.outcome, s.observedVersion])).toEqual([
      [InstanceStep.DRAIN, CommandOutcome.SUCCEEDED, '1.0.0'],
      [InstanceStep.UPGRADE, CommandOutcome.SUCCEEDED, '2.0.0'],
      [InstanceStep.HEALTH_CHECK, CommandOutcome.SUCCEEDED, '2.0.0'],
    ]);
    expect(fleet.instance('sim-0001')).toMatchObject({
      version: '2.0.0',
      draining: false,
      counters: { drains: 1, upgradesApplied: 1, undrains: 1 },
    });
  });

  it('on SIGTERM a worker finishes its in-flight command, reports it, and exits 0', async () => {
    fleet.setLatency({ drain: { kind: 'fixed', ms: 1500 } });
    const config = workerConfig(broker.brokers, redis.url, redis.prefix, { WORKER_ID: 'graceful-worker' });
    const graceful = spawnWorker(childEnv(config));
    children.push(graceful.child);
    const upgrade = buildCommand(fleet, 'sim-0002', InstanceCommandType.UPGRADE);
    await peer.send(upgrade);
    await eventually(() => (fleet.instance('sim-0002').pendingOperations > 0 ? true : undefined), {
      timeoutMs: 30_000,
      what: 'the child worker to call drain',
    });
    graceful.child.kill('SIGTERM');
    expect(await graceful.exited).toBe(0);
    const reports = await peer.reportsUntilFinal(upgrade.commandId);
    expect(reports.every((r) => r.workerId === 'graceful-worker')).toBe(true);
    expect(reports.flatMap((r) => r.steps).map((s) => s.outcome)).toEqual(
      Array(3).fill(CommandOutcome.SUCCEEDED),
    );
    expect(fleet.instance('sim-0002')).toMatchObject({ version: '2.0.0', counters: { drains: 1 } });
  });

  it('two workers receiving the same command run it once: the lease serialises them, the second re-reports', async () => {
    fleet.setLatency({ drain: { kind: 'fixed', ms: 500 } });
    // Two consumer groups stand for a redelivery of one command to a second worker while the first runs it.
    running.push(...(await startPair()));
    const upgrade = buildCommand(fleet, 'sim-0003', InstanceCommandType.UPGRADE);
    await peer.send(upgrade);
    const finals = await eventually(
      () => {
        const found = peer.resultsFor(upgrade.commandId).filter((r) => r.final);
        return found.length >= 2 ? found : undefined;
      },
      { what: 'two final reports' },
    );
    const [one, two] = finals;
    expect(two).toEqual(one);
    // Identical reports: the second is the first one re-reported, not a second run.
    expect(one?.steps.map((s) => s.step)).toEqual([
      InstanceStep.DRAIN,
      InstanceStep.UPGRADE,
      InstanceStep.HEALTH_CHECK,
    ]);
    // The agent saw each call once: the lease kept the second worker away until the report existed.
    expect(fleet.instance('sim-0003').counters).toMatchObject({
      requests: 4, // drain, upgrade, one health probe, undrain
      drains: 1,
      upgradesApplied: 1,
      undrains: 1,
      replays: 0,
    });
  });

  it('two workers racing a late UPGRADE against a newer ROLLBACK: both refuse the UPGRADE, the instance stays rolled back', async () => {
    running.push(...(await startPair()));
    // The orchestrator issued the UPGRADE, then the ROLLBACK; the UPGRADE reaches the topic last.
    const late = buildCommand(fleet, 'sim-0004', InstanceCommandType.UPGRADE);
    const rollback = buildCommand(fleet, 'sim-0004', InstanceCommandType.ROLLBACK);
    await peer.send(rollback);
    await peer.send(late);
    const finalsOf = (commandId: string) => () => {
      const found = peer.resultsFor(commandId).filter((r) => r.final);
      return found.length >= 2 ? found : undefined;
    };
    const refusals = await eventually(finalsOf(late.commandId), {
      what: 'both workers to answer the UPGRADE',
    });
    const rollbacks = await eventually(finalsOf(rollback.commandId), {
      what: 'both workers to answer the ROLLBACK',
    });
    expect(rollbacks[1]).toEqual(rollbacks[0]);
    for (const refusal of refusals) {
      expect(refusal.steps).toEqual([
        expect.objectContaining({
          step: InstanceStep.DRAIN,
          outcome: CommandOutcome.FAILED,
          reason: `stale fencing token ${late.fencingToken} < ${rollback.fencingToken}`,
        }),
      ]);
    }
    const instance = fleet.instance('sim-0004');
    expect(instance).toMatchObject({
      version: '1.0.0',
      draining: false,
      fencingToken: rollback.fencingToken,
    });
    expect(instance.counters).toMatchObject({ drains: 0, upgradesApplied: 0 });
    expect(instance.appliedCalls.map((c) => [c.operation, c.fencingToken])).toEqual([
      ['rollback', rollback.fencingToken],
      ['undrain', rollback.fencingToken],
    ]);
    expect(staleAppliedCalls(instance.appliedCalls)).toEqual([]);
  });

  /** Two in-process workers in two consumer groups: each receives every command. */
  async function startPair(): Promise<RunningWorker[]> {
    const first = await startTestWorker(
      workerConfig(broker.brokers, redis.url, redis.prefix, { WORKER_ID: 'worker-a' }),
      'pair-a',
    );
    const second = await startTestWorker(
      workerConfig(broker.brokers, redis.url, redis.prefix, { WORKER_ID: 'worker-b' }),
      'pair-b',
    );
    return [first, second];
  }
});
