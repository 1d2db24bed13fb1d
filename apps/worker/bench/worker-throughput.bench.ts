/**
 * Worker throughput alone: N UPGRADE commands (drain, upgrade, health check, each instance carried through
 * by one worker) against a zero-latency fleet, through the embedded broker, with W in-process workers.
 * Prints instance upgrades/s and reports per command (1 when every command's steps share one report).
 *   node -r @swc-node/register apps/worker/bench/worker-throughput.bench.ts [instances] [workers] [concurrency]
 */
import 'reflect-metadata';
import { setTimeout as sleep } from 'node:timers/promises';
import { CommandOutcome, InstanceCommandType } from '@upshift/contracts';
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
        // The production agent timeout: the tests' 2 s turns a CPU-starved run into timeouts, not a measure.
        workerConfig(broker.brokers, redis.url, redis.prefix, {
          WORKER_CONCURRENCY: String(concurrency),
          WORKER_AGENT_TIMEOUT_MS: '10000',
        }),
      ),
    );
  }
  const commands = fleet.instances.map((i) => buildCommand(fleet, i.name, InstanceCommandType.UPGRADE));
  const started = Date.now();
  await peer.sendMany(commands);
  const finals = () => peer.results.filter((r) => r.final);
  while (finals().length < commands.length) await sleep(20);
  const seconds = (Date.now() - started) / 1000;

  const reasons = new Map<string, number>();
  let failed = 0;
  for (const report of finals()) {
    const last = report.steps[report.steps.length - 1];
    if (last?.outcome !== CommandOutcome.SUCCEEDED) failed += 1;
    const reason = last?.reason?.slice(0, 90);
    if (reason) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  console.log([...reasons].slice(0, 5));
  console.log(
    `UPGRADE: ${commands.length} commands in ${seconds.toFixed(2)} s → ${(instances / seconds).toFixed(0)} instance upgrades/s; ` +
      `${(peer.results.length / commands.length).toFixed(2)} reports per command; failed: ${failed}`,
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
