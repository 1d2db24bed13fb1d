import Redis from 'ioredis';
import { CommandOutcome, InstanceCommandType, InstanceStep } from '@upshift/contracts';
import {
  eventually,
  startPrivateRedis,
  startTestBroker,
  type PrivateRedis,
  type TestBroker,
} from '@upshift/testing';
import type { Fleet } from '@upshift/fleet';
import type { RunningWorker } from '../src/worker';
import { buildCommand, KafkaPeer, startTestWorker, workerConfig, startTestFleet } from './worker-harness';

jest.setTimeout(90_000);

const PREFIX = 'worker-health';

interface Probe {
  status: number;
  body: { status: string; details?: Record<string, { status: string; detail: string }> };
}

/**
 * The worker's probes and its answer to a lost lease (ADR 0079), with the embedded broker, a simulated
 * fleet and a redis-server of the test's own that it stops and starts again on the same port.
 */
describe('worker health and lease loss', () => {
  let broker: TestBroker;
  let redis: PrivateRedis;
  let fleet: Fleet;
  let peer: KafkaPeer;
  let worker: RunningWorker;
  let observer: Redis;

  const probe = async (path: string): Promise<Probe> => {
    const res = await fetch(`http://127.0.0.1:${worker.healthPort}${path}`);
    return { status: res.status, body: (await res.json()) as Probe['body'] };
  };

  beforeAll(async () => {
    broker = await startTestBroker();
    redis = await startPrivateRedis();
    observer = new Redis(redis.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
    });
    observer.on('error', () => undefined);
    await observer.connect();
    fleet = await startTestFleet(2);
    peer = new KafkaPeer(broker.brokers);
    await peer.start();
    worker = await startTestWorker(
      workerConfig(broker.brokers, redis.url, PREFIX, {
        // One slow agent call, not a timeout: the test stops Redis in the middle of it.
        WORKER_AGENT_TIMEOUT_MS: '30000',
        WORKER_LEASE_TTL_MS: '3000',
      }),
    );
  });

  afterAll(async () => {
    await worker?.stop();
    observer?.disconnect();
    await peer?.stop();
    await fleet?.stop();
    await redis?.stop();
    await broker?.stop();
  });

  it('is live and ready: consumer running, Redis answering; other paths are 404', async () => {
    expect(await probe('/health/live')).toEqual({ status: 200, body: { status: 'ok' } });
    const ready = await eventually(
      async () => {
        const r = await probe('/health/ready');
        return r.status === 200 ? r : undefined;
      },
      { what: 'the worker to be ready' },
    );
    expect(ready.body).toEqual({
      status: 'ok',
      details: {
        consumer: { status: 'up', detail: 'running' },
        redis: { status: 'up', detail: 'PONG' },
      },
    });
    expect((await fetch(`http://127.0.0.1:${worker.healthPort}/health`)).status).toBe(404);
  });

  it('stops working on an instance whose lease cannot be renewed, is not ready without Redis, and recovers', async () => {
    fleet.setLatency({ upgrade: { kind: 'fixed', ms: 8_000 } });
    const upgrade = buildCommand(fleet, 'sim-0001', InstanceCommandType.UPGRADE);
    await peer.send(upgrade);
    const leaseKey = `${PREFIX}:lease:instance:${upgrade.instanceId}`;
    await eventually(async () => ((await observer.get(leaseKey)) !== null ? true : undefined), {
      what: 'the worker to lease the instance for the upgrade',
    });
    await eventually(() => (fleet.instance('sim-0001').upgrading ? true : undefined), {
      what: 'the worker to reach the upgrade step',
    });

    // Redis goes away in the middle of the 8 s agent call.
    const outageAt = Date.now();
    await redis.stop();
    await eventually(() => (worker.stats.leaseLost === 1 ? true : undefined), {
      timeoutMs: 10_000,
      what: 'the worker to give up the command whose lease it cannot renew',
    });
    // Before the lease (TTL 3 s) could have expired and been taken by another worker.
    expect(Date.now() - outageAt).toBeLessThan(3_000 + 500);

    expect((await probe('/health/live')).status).toBe(200);
    const notReady = await probe('/health/ready');
    expect(notReady.status).toBe(503);
    expect(notReady.body.details?.consumer).toEqual({ status: 'up', detail: 'running' });
    expect(notReady.body.details?.redis?.status).toBe('down');

    // Redis is back (empty, on the same port): the worker is ready again and takes new commands.
    redis = await startPrivateRedis(redis.port);
    await eventually(async () => ((await probe('/health/ready')).status === 200 ? true : undefined), {
      timeoutMs: 20_000,
      what: 'the worker to be ready again',
    });
    fleet.setLatency({});
    // What the orchestrator does with an unanswered command: issue it again under a new id.
    // (A newer fencing token: the abandoned upgrade, still installing on the agent, can no longer land.)
    const reissued = buildCommand(fleet, 'sim-0001', InstanceCommandType.UPGRADE, { attempt: 2 });
    await peer.send(reissued);
    const report = await peer.resultOf(reissued.commandId);
    expect(report.steps.map((s) => s.outcome)).toEqual(Array(3).fill(CommandOutcome.SUCCEEDED));
    // The abandoned command was never finished: at most its DRAIN step was reported.
    expect(peer.resultsFor(upgrade.commandId).filter((r) => r.final)).toEqual([]);
    expect(peer.resultsFor(upgrade.commandId).flatMap((r) => r.steps.map((s) => s.step))).not.toContain(
      InstanceStep.UPGRADE,
    );
    expect(worker.stats.leaseLost).toBe(1);
  });
});
