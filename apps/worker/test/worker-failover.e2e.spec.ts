import { spawn, type ChildProcess } from 'child_process';
import { join } from 'path';
import { CommandOutcome, InstanceCommandType } from '@upshift/contracts';
import {
  createTestRedis,
  eventually,
  startTestBroker,
  type TestBroker,
  type TestRedis,
} from '@upshift/testing';
import type { Fleet } from '@upshift/fleet';
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
    const drain = buildCommand(fleet, 'sim-0001', InstanceCommandType.DRAIN);
    await fleet.agent('sim-0001').drain({ commandId: drain.commandId });
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
    expect(peer.resultsFor(upgrade.commandId)).toHaveLength(0);

    const survivor = await startTestWorker(
      workerConfig(broker.brokers, redis.url, redis.prefix, { WORKER_ID: 'survivor' }),
    );
    running.push(survivor);
    const result = await peer.resultOf(upgrade.commandId, 60_000);
    expect(result).toMatchObject({
      outcome: CommandOutcome.SUCCEEDED,
      observedVersion: '2.0.0',
      workerId: 'survivor',
    });
    expect(fleet.instance('sim-0001').counters.upgradesApplied).toBe(1);
  });

  it('on SIGTERM a worker finishes its in-flight command, reports it, and exits 0', async () => {
    fleet.setLatency({ drain: { kind: 'fixed', ms: 1500 } });
    const config = workerConfig(broker.brokers, redis.url, redis.prefix, { WORKER_ID: 'graceful-worker' });
    const graceful = spawnWorker(childEnv(config));
    children.push(graceful.child);
    const drain = buildCommand(fleet, 'sim-0002', InstanceCommandType.DRAIN);
    await peer.send(drain);
    await eventually(() => (fleet.instance('sim-0002').pendingOperations > 0 ? true : undefined), {
      timeoutMs: 30_000,
      what: 'the child worker to call drain',
    });
    graceful.child.kill('SIGTERM');
    expect(await graceful.exited).toBe(0);
    expect(await peer.resultOf(drain.commandId)).toMatchObject({
      outcome: CommandOutcome.SUCCEEDED,
      workerId: 'graceful-worker',
    });
    expect(fleet.instance('sim-0002').counters.drains).toBe(1);
  });

  it('two workers receiving the same command run it once: the lease serialises them, the second re-reports', async () => {
    fleet.setLatency({ drain: { kind: 'fixed', ms: 500 } });
    // Two consumer groups stand for a redelivery of one command to a second worker while the first runs it.
    const first = await startTestWorker(
      workerConfig(broker.brokers, redis.url, redis.prefix, { WORKER_ID: 'worker-a' }),
      'lease-test-a',
    );
    running.push(first);
    const second = await startTestWorker(
      workerConfig(broker.brokers, redis.url, redis.prefix, { WORKER_ID: 'worker-b' }),
      'lease-test-b',
    );
    running.push(second);
    const drain = buildCommand(fleet, 'sim-0003', InstanceCommandType.DRAIN);
    await peer.send(drain);
    await eventually(() => (peer.resultsFor(drain.commandId).length >= 2 ? true : undefined), {
      what: 'two results',
    });
    const [one, two] = peer.resultsFor(drain.commandId);
    expect(two).toEqual(one);
    // Identical results: the second is the first one re-reported, not a second run.
    expect(new Set([one?.workerId, two?.workerId]).size).toBe(1);
    // The agent saw one call only: the lease kept the second worker away until the result existed.
    expect(fleet.instance('sim-0003').counters).toMatchObject({ drains: 1, replays: 0 });
  });
});
