/**
 * `npm run bench:e2e -- --instances 10000`: one ROLLING execution across a zero-latency simulated fleet,
 * everything real (embedded broker, Postgres, Redis, registry, orchestrator, two worker processes).
 *
 * Prints instance upgrades per second end to end, Postgres transactions per instance (pg_stat_database
 * of the run's own database), and the transactions/s `pgbench` reaches on the same Postgres, so the
 * ratio shows how close the orchestration comes to the database's limit. Then where the CPU went, per
 * process, in ms per instance, and the rate that CPU cost allows on this machine's cores at best.
 *
 * Options: `npm run bench:e2e -- --help`.
 */
import 'reflect-metadata';
import { execFile } from 'child_process';
import { promisify } from 'util';
import { Client } from 'pg';
import { ExecutionStatus, type UpgradeExecutionView } from '@upshift/contracts';
import { defineCli, runCli } from '@upshift/cli';
import {
  benchFloor,
  CpuMeter,
  FLOOR_CLI_OPTIONS,
  formatCpuReport,
  LOCAL_SERVER_CPU_GROUPS,
  printBenchResult,
  ratioToFloor,
  stackCpuMsPerUnit,
  type CpuGroup,
} from '@upshift/testing';
import { OrchestratorClient, ProgressFollower, startStack, type Stack } from '@upshift/stack';

const BENCH_E2E_CLI = defineCli({
  command: 'npm run bench:e2e --',
  summary:
    'One ROLLING execution across a zero-latency simulated fleet on the whole real stack; prints upgrades/s,\n' +
    'Postgres transactions per instance against pgbench, and CPU per instance by process.',
  options: {
    instances: { type: 'integer', default: 10_000, min: 1, max: 100_000, description: 'simulated instances' },
    'batch-size': { type: 'integer', default: 500, min: 1, description: 'instances per batch' },
    'max-unavailable': {
      type: 'integer',
      default: 25,
      min: 1,
      max: 100,
      description: 'maxUnavailablePercentage of the execution',
    },
    workers: { type: 'integer', default: 2, min: 1, description: 'worker processes' },
    concurrency: { type: 'integer', default: 256, min: 1, description: 'commands in flight per worker' },
    'pgbench-seconds': { type: 'integer', default: 15, min: 1, description: 'how long pgbench runs' },
    verbose: { type: 'boolean', description: "echo the services' logs on stderr" },
    ...FLOOR_CLI_OPTIONS,
  },
});
// Before anything starts: --help and a wrong flag end the process here.
const { values: options } = runCli(BENCH_E2E_CLI);
const run = promisify(execFile);
const INSTANCES = options.instances;
const BATCH_SIZE = options['batch-size'];
const MAX_UNAVAILABLE = options['max-unavailable'];
const WORKERS = options.workers;
const CONCURRENCY = options.concurrency;
const PGBENCH_SECONDS = options['pgbench-seconds'];
const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);

async function committedTransactions(databaseUrl: string): Promise<number> {
  const name = new URL(databaseUrl).pathname.slice(1);
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // Statistics are flushed by each backend at most once a second (PG 15 stats): wait, then read.
    await client.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await client.query<{ xact_commit: string }>(
      'SELECT xact_commit FROM pg_stat_database WHERE datname = $1',
      [name],
    );
    return Number(rows[0]?.xact_commit ?? 0);
  } finally {
    await client.end();
  }
}

/**
 * Resolves with the execution's terminal status from upgrade.progress, reporting the completed count
 * every 5 s. Fails if nothing moves for two minutes.
 */
function terminalStatus(
  follower: ProgressFollower,
  executionId: string,
  report: (completed: number, batch: number) => void,
): Promise<string> {
  let completed = 0;
  let batch = 0;
  let lastEventAt = Date.now();
  const off = follower.on((event) => {
    if (event.executionid !== executionId) return;
    lastEventAt = Date.now();
    if (event.data.kind === 'InstanceStatusChanged' && event.data.to === 'COMPLETED') completed += 1;
    if (event.data.kind === 'BatchStarted') batch = event.data.batch;
  });
  let ticker: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    ticker = setInterval(() => {
      if (Date.now() - lastEventAt > 120_000)
        reject(new Error(`no progress event for ${executionId} in 120 s`));
      else report(completed, batch);
    }, 5000);
  });
  return Promise.race([follower.terminalStatus(executionId), stalled]).finally(() => {
    clearInterval(ticker);
    off();
  });
}

/** What the orchestrator wrote to its outbox for the run (rows and payload bytes per topic). */
async function outboxVolume(databaseUrl: string): Promise<{ topic: string; rows: number; bytes: number }[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ topic: string; rows: number; bytes: string }>(
      `SELECT topic, count(*)::int AS rows, sum(octet_length(payload::text))::bigint AS bytes
         FROM orchestrator.outbox GROUP BY topic ORDER BY topic`,
    );
    return rows.map((r) => ({ topic: r.topic, rows: r.rows, bytes: Number(r.bytes) }));
  } finally {
    await client.end();
  }
}

async function pgbench(adminUrl: string, seconds: number): Promise<{ tps: number; clients: number }> {
  const name = `upshift_pgbench_${Date.now().toString(36)}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  const connection = [
    '-h',
    url.hostname,
    '-p',
    url.port || '5432',
    '-U',
    decodeURIComponent(url.username || 'postgres'),
  ];
  const clients = 16;
  try {
    await run('pgbench', [...connection, '-i', '-q', '-s', '10', name], {
      env: { ...process.env, PGPASSWORD: decodeURIComponent(url.password) },
    });
    const { stdout } = await run(
      'pgbench',
      [...connection, '-c', String(clients), '-j', '2', '-T', String(seconds), name],
      {
        env: { ...process.env, PGPASSWORD: decodeURIComponent(url.password) },
        maxBuffer: 10 * 1024 * 1024,
      },
    );
    const match = /tps = ([\d.]+)/.exec(stdout);
    if (!match?.[1]) throw new Error(`could not read tps from pgbench:\n${stdout}`);
    return { tps: Number(match[1]), clients };
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

/** The stack's processes, for the CPU accounting (Postgres and Redis are the machine's servers). */
function cpuGroups(stack: Stack): CpuGroup[] {
  const pidOf = (service: { child: { pid?: number } }) => service.child.pid ?? -1;
  const workers = new Set(stack.workers.map(pidOf));
  return [
    { name: 'orchestrator', matches: (p) => p.pid === pidOf(stack.orchestrator) },
    { name: `workers (${workers.size})`, matches: (p) => workers.has(p.pid) },
    { name: 'registry', matches: (p) => p.pid === pidOf(stack.registry) },
    { name: 'this process: broker, fleet, feed', matches: (p) => p.pid === process.pid },
    ...LOCAL_SERVER_CPU_GROUPS,
  ];
}

async function main(): Promise<number> {
  const adminUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  log(
    `bench:e2e — ${INSTANCES} instances, batchSize ${BATCH_SIZE}, maxUnavailable ${MAX_UNAVAILABLE} %, ${WORKERS} workers × ${CONCURRENCY}`,
  );
  let stack: Stack | null = null;
  let follower: ProgressFollower | null = null;
  const interrupt = (code: number) => () => {
    console.error('interrupted: stopping the stack');
    void (async () => {
      await follower?.stop().catch(() => undefined);
      await stack?.stop();
      process.exit(code);
    })();
  };
  process.once('SIGINT', interrupt(130));
  process.once('SIGTERM', interrupt(143));
  try {
    // First, on a machine nothing of the bench loads yet.
    const floor = await benchFloor(options);
    const registrationStarted = Date.now();
    stack = await startStack({
      label: 'bench',
      workers: WORKERS,
      workerConcurrency: CONCURRENCY,
      logLevel: 'error',
      echo: options.verbose,
      log: (line) => log(line),
      fleet: { instances: INSTANCES, initialVersion: '2.1.0' },
    });
    log(`stack up and fleet registered in ${((Date.now() - registrationStarted) / 1000).toFixed(1)} s`);
    follower = new ProgressFollower(stack.brokers);
    await follower.start();
    const client = new OrchestratorClient(stack.baseUrl, stack.operatorToken);
    const execution = await client.create(stack.tenantId, {
      componentId: stack.componentId,
      fromVersionId: stack.versionId('2.1.0'),
      toVersionId: stack.versionId('2.2.2'),
      strategy: 'ROLLING',
      batchSize: BATCH_SIZE,
      batchDelaySeconds: 0,
      healthCheckIntervalSeconds: 1,
      healthCheckTimeoutSeconds: 60,
      maxUnavailablePercentage: MAX_UNAVAILABLE,
      totalInstances: INSTANCES,
      autoRollbackEnabled: false,
      failureThreshold: 3,
      initiatedBy: 'bench@upshift.local',
      installedComponents: { kafka: '3.6.0', postgresql: '16.1.0' },
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const transactionsBefore = await committedTransactions(stack.databaseUrl);
    const cpu = CpuMeter.start(cpuGroups(stack));
    const started = Date.now();
    // Followed on upgrade.progress, as a dashboard follows it: polling GET /upgrades/:id would have the
    // orchestrator build and send the whole 10,000-instance view (1.6 MB) twice a second, work that
    // competes with the rollout on the same two cores and that no user of the stream causes.
    const ending = terminalStatus(follower, execution.id, (done, batch) =>
      log(`  ${done}/${INSTANCES} completed, batch ${batch}`),
    );
    ending.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
    await client.operate(execution.id, 'start');
    const outcome = await ending;
    const seconds = (Date.now() - started) / 1000;
    const cpuReport = cpu.stop();
    const view: UpgradeExecutionView = await client.get(execution.id);
    if (view.status !== outcome) throw new Error(`the stream said ${outcome}, GET says ${view.status}`);
    const events = follower.eventsOf(execution.id);
    const firstBatch = events.find((e) => e.data.kind === 'BatchStarted');
    const last = events.at(-1);
    const rolloutSeconds =
      firstBatch && last ? (Date.parse(last.time) - Date.parse(firstBatch.time)) / 1000 : seconds;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const transactions = (await committedTransactions(stack.databaseUrl)) - transactionsBefore;
    const outbox = await outboxVolume(stack.databaseUrl);
    const fleetMax = stack.fleet.outOfServiceHistory().max;
    const upgraded = stack.fleet.instances.filter((i) => i.version === '2.2.2').length;
    const twice = stack.fleet.instances.filter((i) => i.counters.upgradesApplied > 1).length;
    const gaps = follower.gaps.filter((g) => g.executionId === execution.id).length;
    log(
      `execution ${view.status} in ${seconds.toFixed(1)} s (rollout from the first batch: ${rolloutSeconds.toFixed(1)} s)`,
    );

    await follower.stop();
    follower = null;
    await stack.stop();
    stack = null;
    log(`running pgbench for ${PGBENCH_SECONDS} s on the same Postgres …`);
    const bench = await pgbench(adminUrl, PGBENCH_SECONDS);

    const rate = INSTANCES / seconds;
    const perInstance = transactions / INSTANCES;
    const needed = rate * perInstance;
    console.log('\n──────── bench:e2e ────────');
    console.log(
      `instances                         ${INSTANCES} (${upgraded} now on 2.2.2, ${twice} upgraded more than once)`,
    );
    console.log(
      `status                            ${view.status}, ${view.completedInstances} completed, ${view.failedInstances} failed`,
    );
    console.log(
      `instance upgrades/s (end to end)  ${rate.toFixed(0)}   (start → ${view.status}, incl. validation: ${seconds.toFixed(1)} s)`,
    );
    console.log(
      `instance upgrades/s (rollout)     ${(INSTANCES / rolloutSeconds).toFixed(0)}   (first BatchStarted → last progress event)`,
    );
    console.log(
      `Postgres transactions / instance  ${perInstance.toFixed(2)}   (${transactions} commits in the run's database)`,
    );
    console.log(`Postgres transactions/s used      ${needed.toFixed(0)}`);
    console.log(
      `pgbench tps (TPC-B, ${bench.clients} clients)  ${bench.tps.toFixed(0)}   → orchestration uses ${((needed / bench.tps) * 100).toFixed(0)} % of it`,
    );
    console.log(
      `max out of service (fleet)        ${fleetMax} (allowed ${Math.max(1, Math.floor((INSTANCES * MAX_UNAVAILABLE) / 100))}, batch ${BATCH_SIZE})`,
    );
    console.log(`progress events                   ${events.length}, sequence gaps ${gaps}`);
    console.log(
      'outbox rows / instance, by topic  ' +
        outbox
          .map((t) => `${t.topic} ${(t.rows / INSTANCES).toFixed(2)} (${(t.bytes / 1e6).toFixed(1)} MB)`)
          .join(', '),
    );
    console.log('CPU per instance (start → terminal), by process:');
    for (const line of formatCpuReport(cpuReport, INSTANCES, 'instance upgrades')) console.log(line);
    printBenchResult('e2e', floor, {
      instances: INSTANCES,
      status: view.status,
      upgradesPerSec: Math.round(rate),
      upgradesPerSecRollout: Math.round(INSTANCES / rolloutSeconds),
      upgradesPerFloorReq: ratioToFloor(rate, floor),
      cpuMsPerInstance: stackCpuMsPerUnit(cpuReport, INSTANCES),
      machineBusyMsPerInstance: Number(((cpuReport.machineBusySeconds * 1000) / INSTANCES).toFixed(2)),
      postgresTransactionsPerInstance: Number(perInstance.toFixed(2)),
      pgbenchTps: Math.round(bench.tps),
    });
    return view.status === ExecutionStatus.COMPLETED ? 0 : 1;
  } catch (error) {
    console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await follower?.stop().catch(() => undefined);
    await stack?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
