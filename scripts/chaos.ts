/**
 * `npm run chaos -- --runs N --instances M [--seed S]`: crash safety proven by killing things
 * (docs/adr/0083-chaos-harness-and-crash-points.md). Starts a throw-away stack of its own (Postgres
 * cluster, redis-server, broker, registry, two orchestrator replicas, two workers) on free ports, then per
 * run three executions on simulated fleets while it SIGKILLs and restarts each service inside the danger
 * zones, and checks the outcome from the fleet's counters and the Kafka topics. Prints a table per run
 * and a last line `RESULT {json}`; exits 1 on any violation, leaving the seed and the services' logs in
 * the directory it names.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { loadavg, tmpdir } from 'os';
import * as path from 'path';
import { defineCli, runCli } from '@upshift/cli';
import { maxUnavailable } from '@upshift/domain';
import {
  formatRun,
  KafkaObserver,
  planRun,
  runChaos,
  startChaosStack,
  summarize,
  type ChaosStack,
  type RunResult,
} from '@upshift/chaos';

const root = path.resolve(__dirname, '..');

const CHAOS_CLI = defineCli({
  command: 'npm run chaos --',
  summary:
    'Kills and restarts an orchestrator replica, a worker, the broker, Postgres and Redis, and stops an\n' +
    'agent, inside the danger zones of three executions per run (ROLLING, promoted CANARY, one that rolls\n' +
    'back); checks from the fleet and the Kafka topics that nothing was lost, doubled or stuck.',
  options: {
    runs: {
      type: 'integer',
      default: 3,
      min: 1,
      max: 100,
      description: 'runs, one after the other on one stack',
    },
    instances: {
      type: 'integer',
      default: 300,
      min: 30,
      max: 30_000,
      description: 'simulated instances per run, split evenly over its three executions',
    },
    seed: {
      type: 'integer',
      min: 0,
      max: 2 ** 31 - 1,
      env: 'CHAOS_SEED',
      description: 'seed of the kill schedule (default: random; printed, and kept with a failing run)',
    },
    'deadline-s': {
      type: 'integer',
      default: 300,
      min: 30,
      max: 3_600,
      description: 'seconds a run has for all its executions to end',
    },
    'log-level': {
      type: 'enum',
      values: ['debug', 'info', 'warn'],
      default: 'info',
      description: "the services' LOG_LEVEL (their logs go to the work directory)",
    },
    'artifacts-dir': {
      type: 'string',
      default: '.data/chaos',
      placeholder: 'DIR',
      description: 'where a failing run leaves its seed, violations and service logs',
    },
  },
});

async function main(): Promise<void> {
  const { values: options } = runCli(CHAOS_CLI);
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const perExecution = Math.floor(options.instances / 3);
  const batchSize = maxUnavailable(perExecution, 10);
  const log = (line: string) =>
    console.log(`[chaos +${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`);
  const started = Date.now();
  const workDir = mkdtempSync(path.join(tmpdir(), 'upshift-chaos-'));
  log(`seed ${seed}, ${options.runs} runs of 3 × ${perExecution} instances, work directory ${workDir}`);
  const loadBefore = loadavg()[0] ?? 0;

  let stack: ChaosStack | null = null;
  let observer: KafkaObserver | null = null;
  // One clean-up, however many ask for it: Ctrl-C lands while a run is in flight, so the SIGINT handler
  // and the main flow may both get here, and neither may remove the work directory before it is done.
  let cleaning: Promise<void> | null = null;
  const cleanup = (): Promise<void> =>
    (cleaning ??= (async () => {
      await observer?.stop();
      await stack?.stop();
    })());
  process.once(
    'SIGINT',
    () =>
      void cleanup().finally(() => {
        rmSync(workDir, { recursive: true, force: true });
        process.exit(130);
      }),
  );

  const results: RunResult[] = [];
  let failure: Error | null = null;
  try {
    stack = await startChaosStack({
      workDir,
      logLevel: options['log-level'],
      crashPoints: planRun(seed, 0, perExecution, batchSize).crashPoints,
      log,
    });
    observer = new KafkaObserver(stack.brokers);
    await observer.start();
    for (let run = 0; run < options.runs; run += 1) {
      const result = await runChaos({
        stack,
        observer,
        plan: planRun(seed, run, perExecution, batchSize),
        instancesPerExecution: perExecution,
        deadlineMs: options['deadline-s'] * 1000,
        rearmCrashPoints: run > 0,
        log,
      });
      results.push(result);
      console.log(formatRun(result));
    }
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    log(`the harness failed: ${failure.stack ?? failure.message}`);
  }

  const summary = summarize(results, seed, options.instances, Date.now() - started);
  const ok = summary.ok && failure === null && results.length === options.runs;
  if (!ok) {
    const dir = path.resolve(
      root,
      options['artifacts-dir'],
      `${new Date().toISOString().replace(/[:.]/g, '-')}-seed-${seed}`,
    );
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'run.json'),
      `${JSON.stringify(
        {
          seed,
          replay: `npm run chaos -- --runs ${options.runs} --instances ${options.instances} --seed ${seed}`,
          error: failure?.message ?? null,
          summary,
          runs: results.map((r) => ({
            plan: r.plan,
            kills: r.kills,
            violations: r.violations,
            unplannedExits: r.unplannedExits,
          })),
        },
        null,
        2,
      )}\n`,
    );
    if (stack) cpSync(stack.logDir, path.join(dir, 'logs'), { recursive: true });
    // Every progress event as it arrived, redeliveries included: what the stream checks judged.
    writeFileSync(
      path.join(dir, 'progress.jsonl'),
      (observer?.progress ?? [])
        .map((p) => JSON.stringify({ receivedAt: p.receivedAt, ...p.event }))
        .join('\n'),
    );
    log(`seed, violations and service logs in ${dir}`);
  }
  await cleanup();
  rmSync(workDir, { recursive: true, force: true });
  log(`load average ${loadBefore.toFixed(1)} at the start, ${(loadavg()[0] ?? 0).toFixed(1)} at the end`);
  console.log(`RESULT ${JSON.stringify({ ...summary, ok })}`);
  process.exit(ok ? 0 : 1);
}

if (require.main === module) void main();
