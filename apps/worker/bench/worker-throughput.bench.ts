/**
 * Worker throughput alone: N DRAIN+UPGRADE+HEALTH_CHECK sequences against a zero-latency fleet, through
 * the embedded broker, with W in-process workers. Prints commands/s and instance upgrades/s.
 *   node -r @swc-node/register apps/worker/bench/worker-throughput.bench.ts [instances] [workers] [concurrency]
 */
import 'reflect-metadata';
import { setTimeout as sleep } from 'node:timers/promises';
import { InstanceCommandType } from '@upshift/contracts';
import { createTestRedis, startTestBroker } from '@upshift/testing';
import { startFleet } from '@upshift/fleet';
import {
  buildCommand,
  KafkaPeer,
  memoryArtifacts,
  startTestWorker,
  V2,
  workerConfig,
  agentKeys,
} from '../test/worker-harness';
import type { RunningWorker } from '../src/worker';

async function main(): Promise<void> {
  const [instances = 2000, workerCount = 2, concurrency = 256] = process.argv.slice(2).map(Number);
  const broker = await startTestBroker();
  const redis = await createTestRedis('worker-bench');
  const fleet = await startFleet({
    agentKeys,
    instances,
    initialVersion: '1.0.0',
    artifactSource: memoryArtifacts(V2),
  });
  const peer = new KafkaPeer(broker.brokers);
  await peer.start();
  const workers: RunningWorker[] = [];
  for (let i = 0; i < workerCount; i += 1) {
    workers.push(
      await startTestWorker(
        workerConfig(broker.brokers, redis.url, redis.prefix, { WORKER_CONCURRENCY: String(concurrency) }),
      ),
    );
  }
  const started = Date.now();
  for (const type of [
    InstanceCommandType.DRAIN,
    InstanceCommandType.UPGRADE,
    InstanceCommandType.HEALTH_CHECK,
  ]) {
    const stepStart = Date.now();
    const before = peer.results.length;
    const commands = fleet.instances.map((i) => buildCommand(fleet, i.name, type));
    await peer.sendMany(commands);
    while (peer.results.length < before + commands.length) await sleep(20);
    console.log(
      `${type}: ${commands.length} commands in ${((Date.now() - stepStart) / 1000).toFixed(2)} s → ${(commands.length / ((Date.now() - stepStart) / 1000)).toFixed(0)}/s`,
    );
  }
  const seconds = (Date.now() - started) / 1000;
  const reasons = new Map<string, number>();
  for (const r of peer.results)
    if (r.reason) reasons.set(r.reason.slice(0, 90), (reasons.get(r.reason.slice(0, 90)) ?? 0) + 1);
  console.log([...reasons].slice(0, 5));
  console.log(
    `instance upgrades/s (3 commands each, steps sequential): ${(instances / seconds).toFixed(0)}; failed: ${peer.results.filter((r) => r.outcome !== 'SUCCEEDED').length}`,
  );
  for (const worker of workers) await worker.stop();
  await peer.stop();
  await fleet.stop();
  await redis.cleanup();
  await broker.stop();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
