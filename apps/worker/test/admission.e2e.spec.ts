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

jest.setTimeout(60_000);

// Admission control (ADR 0051): at most 4 × WORKER_CONCURRENCY commands are admitted; a batch waiting
// for room wakes up every second to heartbeat. A waiter that gave up on its one-second wait must not
// take the wake-up meant for the waiter that replaced it, or the next command starts up to a second late.
describe('worker admission control', () => {
  const DRAIN_MS = 1500;
  let broker: TestBroker;
  let redis: TestRedis;
  let fleet: Fleet;
  let peer: KafkaPeer;
  let worker: RunningWorker;

  beforeAll(async () => {
    broker = await startTestBroker();
    redis = await createTestRedis('worker-admission');
    fleet = await startTestFleet(2);
    peer = new KafkaPeer(broker.brokers);
    await peer.start();
    // Concurrency 2 admits 8 commands; the queued ones are abandoned quickly at the end.
    worker = await startTestWorker(
      workerConfig(broker.brokers, redis.url, redis.prefix, {
        WORKER_CONCURRENCY: '2',
        WORKER_SHUTDOWN_GRACE_MS: '200',
      }),
    );
  });

  afterAll(async () => {
    await worker?.stop();
    await peer?.stop();
    await fleet?.stop();
    await redis?.cleanup();
    await broker?.stop();
  });

  it('admits a waiting command as soon as a command finishes, even after the waiter timed out once', async () => {
    fleet.setLatency({ drain: { kind: 'fixed', ms: DRAIN_MS } });
    // Eight upgrades of one instance, each with a slow drain, fill admission; they run one after another
    // (one instance's commands are chained), so one slot stays free and each finish frees exactly one
    // admission.
    const first = buildCommand(fleet, 'sim-0001', InstanceCommandType.UPGRADE);
    const queued = [
      first,
      ...Array.from({ length: 7 }, () => buildCommand(fleet, 'sim-0001', InstanceCommandType.UPGRADE)),
    ];
    await peer.sendMany(queued);
    await eventually(() => (fleet.instance('sim-0001').pendingOperations > 0 ? true : undefined), {
      what: 'the first drain to reach the agent',
    });
    // This command waits for admission longer than one wake-up period (the first drain takes 1.5 s).
    const waiting = buildCommand(fleet, 'sim-0002', InstanceCommandType.UPGRADE);
    await peer.send(waiting);

    const freed = await peer.reportsUntilFinal(first.commandId);
    const next = await peer.reportsUntilFinal(waiting.commandId);
    const freedSteps = freed.flatMap((r) => r.steps);
    const nextSteps = next.flatMap((r) => r.steps);
    expect(freedSteps.map((s) => s.outcome)).toEqual(Array(3).fill(CommandOutcome.SUCCEEDED));
    expect(nextSteps.map((s) => s.outcome)).toEqual(Array(3).fill(CommandOutcome.SUCCEEDED));
    // It had a free slot, so it starts right after the first upgrade frees an admission, not at the
    // waiter's next one-second wake-up.
    const startedAfterFreedMs =
      Date.parse(nextSteps[0]?.startedAt ?? '') -
      Date.parse(freedSteps[freedSteps.length - 1]?.finishedAt ?? '');
    expect(startedAfterFreedMs).toBeLessThan(250);
  });
});
