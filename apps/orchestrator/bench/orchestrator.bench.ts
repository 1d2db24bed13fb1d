/**
 * `npm run bench:orchestrator`: 20 executions × 500 instances, a bench worker answering every command at
 * once over Kafka, batchDelaySeconds 0. Prints instance upgrades/s, Postgres transactions per instance
 * (pg_stat_database xact_commit delta of the orchestrator's database) and the delay from the failing
 * result that crosses failureThreshold to the ROLLING_BACK progress event (p50/p99).
 *
 * Everything is real and local: Postgres, Redis, and as deployed, each in its own process: the embedded
 * broker, the registry and the orchestrator; an in-bench agent fleet and the bench worker.
 *
 * Options: `npm run bench:orchestrator -- --help` (the BENCH_* variables still work as defaults).
 */
import { spawn } from 'child_process';
import type { ChildProcess } from 'child_process';
import { randomBytes, randomUUID } from 'crypto';
import { mkdtempSync, rmSync } from 'fs';
import * as net from 'net';
import { tmpdir } from 'os';
import * as path from 'path';
import { Client } from 'pg';
import type { Consumer, Producer } from 'kafkajs';
import {
  COMMAND_STEPS,
  CommandOutcome,
  EventTypes,
  InstanceCommandSchema,
  InstanceCommandType,
  InstanceStep,
  isProgressEventType,
  masterKeyring,
  parseEnvelope,
  ProgressEventSchema,
  resultMessage,
  Topics,
} from '@upshift/contracts';
import type { InstanceCommand, InstanceCommandResult } from '@upshift/contracts';
import { createKafka } from '@upshift/messaging';
import { defineCli, runCli } from '@upshift/cli';
import {
  benchFloor,
  CpuMeter,
  createTestDatabase,
  FLOOR_CLI_OPTIONS,
  createTestRedis,
  formatCpuReport,
  LOCAL_SERVER_CPU_GROUPS,
  printBenchResult,
  ratioToFloor,
  stackCpuMsPerUnit,
  TEST_JWT_SECRET,
  testToken,
} from '@upshift/testing';
import { AgentFleet } from '../test/support/agent-fleet';
import { freePort } from '@upshift/stack';

const ORCHESTRATOR_BENCH_CLI = defineCli({
  command: 'npm run bench:orchestrator --',
  summary:
    'Executions answered at once by a bench worker over Kafka: instance upgrades/s, Postgres transactions\n' +
    'per instance, and the delay from the result that crosses failureThreshold to ROLLING_BACK (p50/p99).',
  options: {
    executions: { type: 'integer', default: 20, min: 1, env: 'BENCH_EXECUTIONS', description: 'executions' },
    instances: {
      type: 'integer',
      default: 500,
      min: 1,
      env: 'BENCH_INSTANCES',
      description: 'instances per execution',
    },
    'batch-size': {
      type: 'integer',
      default: 100,
      min: 1,
      env: 'BENCH_BATCH_SIZE',
      description: 'batch size',
    },
    'max-unavailable': {
      type: 'integer',
      default: 20,
      min: 1,
      max: 100,
      env: 'BENCH_MAX_UNAVAILABLE',
      description: 'maxUnavailablePercentage',
    },
    'rollback-executions': {
      type: 'integer',
      default: 40,
      min: 1,
      env: 'BENCH_ROLLBACK_EXECUTIONS',
      description: 'executions of 20 instances driven into auto-rollback',
    },
    ...FLOOR_CLI_OPTIONS,
  },
});
// Before anything starts: --help and a wrong flag end the process here.
const { values: options } = runCli(ORCHESTRATOR_BENCH_CLI);
const EXECUTIONS = options.executions;
const INSTANCES = options.instances;
const BATCH_SIZE = options['batch-size'];
const MAX_UNAVAILABLE = options['max-unavailable'];
const ROLLBACK_EXECUTIONS = options['rollback-executions'];
const ROLLBACK_THRESHOLD = 3;
/** RATE_LIMIT_REQUESTS of the services: the bench is one caller making tens of thousands of calls. */
const BENCH_RATE_LIMIT = 1_000_000_000;
const root = path.resolve(__dirname, '../../..');

const log = (msg: string, fields: Record<string, unknown> = {}) =>
  console.error(JSON.stringify({ time: new Date().toISOString(), bench: 'orchestrator', msg, ...fields }));

function spawnNode(entry: string, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', entry, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 120_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`bench timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T);
      }
    }),
  );
  return out;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? NaN;
}

/** The bench acts as an admin of every tenant, with a real token (set at the start of main). */
let bearer = '';

async function http<T>(method: string, url: string, body?: unknown): Promise<T> {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', authorization: bearer },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url} answered ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

interface BenchFleet {
  tenantId: string;
  componentId: string;
  fromVersionId: string;
  toVersionId: string;
}

async function main(): Promise<void> {
  // First, on a machine nothing of the bench loads yet.
  const floor = await benchFloor(options);
  bearer = `Bearer ${await testToken({ sub: 'bench' })}`;
  const orchestratorDb = await createTestDatabase('bench_orch');
  const registryDb = await createTestDatabase('bench_reg');
  const redis = await createTestRedis('bench');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'upshift-bench-'));
  const children: ChildProcess[] = [];
  // A fresh agent key per run: the orchestrator signs its agent checks with it, the fleet verifies.
  const agentAuthKey = randomBytes(32).toString('hex');
  const agents = new AgentFleet(masterKeyring(Buffer.from(agentAuthKey, 'hex')));
  let consumer: Consumer | null = null;
  let progressConsumer: Consumer | null = null;
  let producer: Producer | null = null;
  try {
    const brokerPort = await freePort();
    children.push(
      spawnNode(
        'libs/kafka-broker/src/cli.ts',
        ['--port', String(brokerPort), '--data-dir', dataDir, '--partitions', '4', '--log-level', 'warn'],
        {},
      ),
    );
    const brokers = `127.0.0.1:${brokerPort}`;
    await waitFor(
      'the broker',
      () =>
        new Promise<true | undefined>((resolve) => {
          const socket = net.connect(brokerPort, '127.0.0.1', () => {
            socket.end();
            resolve(true);
          });
          socket.on('error', () => resolve(undefined));
        }),
    );
    await agents.start();
    const registryPort = await freePort();
    children.push(
      spawnNode('apps/registry/src/main.ts', [], {
        PORT: String(registryPort),
        DATABASE_URL: registryDb.url,
        KAFKA_BROKERS: brokers,
        AUTH_JWT_SECRET: TEST_JWT_SECRET,
        LOG_LEVEL: 'warn',
        // One token registers every instance: far past the per-caller limit of 6000 a minute.
        RATE_LIMIT_REQUESTS: String(BENCH_RATE_LIMIT),
      }),
    );
    const registry = { url: `http://127.0.0.1:${registryPort}` };
    await waitFor('the registry', async () =>
      (await fetch(`${registry.url}/health/ready`)).ok ? true : undefined,
    );
    const orchestratorPort = await freePort();
    children.push(
      spawnNode('apps/orchestrator/src/main.ts', [], {
        PORT: String(orchestratorPort),
        HOST: '127.0.0.1',
        DATABASE_URL: orchestratorDb.url,
        REDIS_URL: redis.url,
        QUEUE_PREFIX: redis.prefix,
        KAFKA_BROKERS: brokers,
        REGISTRY_URL: registry.url,
        AUTH_JWT_SECRET: TEST_JWT_SECRET,
        LOG_LEVEL: 'warn',
        HEALTH_DEADLINE_MARGIN_SECONDS: '30',
        RATE_LIMIT_REQUESTS: String(BENCH_RATE_LIMIT),
        AGENT_AUTH_KEY: agentAuthKey,
      }),
    );
    const api = `http://127.0.0.1:${orchestratorPort}/api/v1/registry`;
    await waitFor('the orchestrator', async () =>
      (await fetch(`http://127.0.0.1:${orchestratorPort}/health/ready`)).ok ? true : undefined,
    );
    const registryApi = `${registry.url}/api/v1/registry`;

    // ---- Fleets, registered through the registry's REST API.
    const component = await http<{ id: string }>('POST', `${registryApi}/components`, {
      name: `bench-${randomUUID().slice(0, 8)}`,
      kind: 'service',
    });
    const version = async (v: string) => {
      const created = await http<{ id: string }>(
        'POST',
        `${registryApi}/components/${component.id}/versions`,
        {
          version: v,
          artifact: { url: `https://artifacts.example.com/${v}.tgz`, sha256: 'a'.repeat(64) },
        },
      );
      await http('POST', `${registryApi}/components/${component.id}/versions/${created.id}/publish`, {});
      return created.id;
    };
    const fromVersionId = await version('1.0.0');
    const toVersionId = await version('1.1.0');
    const makeFleets = async (count: number, size: number, label: string): Promise<BenchFleet[]> => {
      const fleets = Array.from({ length: count }, (_, i) => ({
        tenantId: `${label}${i}-${randomUUID().slice(0, 6)}`,
        componentId: component.id,
        fromVersionId,
        toVersionId,
      }));
      const registrations = fleets.flatMap((f) =>
        Array.from({ length: size }, (_, i) => ({
          fleet: f,
          name: `${f.tenantId}-n${String(i).padStart(4, '0')}`,
        })),
      );
      await mapLimit(registrations, 32, async ({ fleet, name }) => {
        await http('POST', `${registryApi}/tenants/${fleet.tenantId}/instances`, {
          componentId: component.id,
          versionId: fromVersionId,
          name,
          agentUrl: agents.add(name),
        });
      });
      return fleets;
    };
    const started = Date.now();
    const fleets = await makeFleets(EXECUTIONS, INSTANCES, 'load');
    const rollbackFleets = await makeFleets(ROLLBACK_EXECUTIONS, 20, 'rb');
    log('fleets registered', {
      instances: EXECUTIONS * INSTANCES + ROLLBACK_EXECUTIONS * 20,
      ms: Date.now() - started,
    });

    // ---- The bench worker: answers every command at once (phase 2 fails a few UPGRADEs).
    const kafka = createKafka({ clientId: 'bench', brokers: [brokers] });
    producer = kafka.producer();
    await producer.connect();
    const failing = new Set<string>();
    const failingSentAt = new Map<string, number>();
    // One report per command, folding every step as a fast worker does (ADR 0081); a failing UPGRADE
    // fails at its UPGRADE step, after the drain.
    const answer = (c: InstanceCommand): InstanceCommandResult => {
      const fail = c.type === InstanceCommandType.UPGRADE && failing.has(c.instanceId);
      const now = new Date().toISOString();
      const steps = COMMAND_STEPS[c.type];
      const reported = fail ? steps.slice(0, steps.indexOf(InstanceStep.UPGRADE) + 1) : steps;
      return {
        commandId: c.commandId,
        executionId: c.executionId,
        tenantId: c.tenantId,
        instanceId: c.instanceId,
        type: c.type,
        fencingToken: c.fencingToken,
        steps: reported.map((step) => {
          const failed = fail && step === InstanceStep.UPGRADE;
          return {
            step,
            outcome: failed ? CommandOutcome.FAILED : CommandOutcome.SUCCEEDED,
            reason: failed ? 'bench: injected failure' : null,
            observedVersion: c.targetVersion.version,
            startedAt: now,
            finishedAt: now,
          };
        }),
        final: true,
        workerId: 'bench-worker',
      };
    };
    consumer = kafka.consumer({ groupId: 'bench-workers', maxWaitTimeInMs: 20 });
    await consumer.connect();
    await consumer.subscribe({ topic: Topics.COMMANDS, fromBeginning: true });
    const workerProducer = producer;
    await consumer.run({
      partitionsConsumedConcurrently: 4,
      eachBatch: async ({ batch }) => {
        const results = batch.messages.map((m) =>
          answer(parseEnvelope(m.value, InstanceCommandSchema, { type: EventTypes.COMMAND }).data),
        );
        await workerProducer.send({
          topic: Topics.RESULTS,
          messages: results.map((r) => {
            const m = resultMessage(r);
            return { key: m.key, value: JSON.stringify(m.value) };
          }),
        });
        const sentAt = Date.now();
        for (const r of results)
          if (r.steps.some((step) => step.outcome === CommandOutcome.FAILED))
            failingSentAt.set(r.instanceId, sentAt);
      },
    });
    const rollingBackAt = new Map<string, number>();
    progressConsumer = kafka.consumer({ groupId: `bench-progress-${randomUUID()}`, maxWaitTimeInMs: 20 });
    await progressConsumer.connect();
    await progressConsumer.subscribe({ topic: Topics.PROGRESS, fromBeginning: false });
    await progressConsumer.run({
      partitionsConsumedConcurrently: 4,
      eachBatch: async ({ batch }) => {
        const now = Date.now();
        for (const m of batch.messages) {
          const e = parseEnvelope(m.value, ProgressEventSchema, { type: isProgressEventType });
          if (e.data.kind === 'ExecutionStatusChanged' && e.data.to === 'ROLLING_BACK')
            rollingBackAt.set(e.executionid, now);
        }
      },
    });

    const stats = new Client({ connectionString: orchestratorDb.url });
    await stats.connect();
    const xactCommit = async () => {
      await new Promise((resolve) => setTimeout(resolve, 1500)); // backends report their counters at most every second
      const { rows } = await stats.query<{ n: string }>(
        'SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = current_database()',
      );
      return Number(rows[0]?.n ?? 0);
    };
    const create = (fleet: BenchFleet, size: number, extra: Record<string, unknown>) =>
      http<{ id: string }>('POST', `${api}/tenants/${fleet.tenantId}/upgrades`, {
        componentId: fleet.componentId,
        fromVersionId: fleet.fromVersionId,
        toVersionId: fleet.toVersionId,
        totalInstances: size,
        batchSize: BATCH_SIZE,
        maxUnavailablePercentage: MAX_UNAVAILABLE,
        batchDelaySeconds: 0,
        healthCheckIntervalSeconds: 1,
        healthCheckTimeoutSeconds: 60,
        ...extra,
      });
    const statusCount = async (ids: string[], statuses: string[]) => {
      const { rows } = await stats.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM orchestrator.execution WHERE id = ANY($1::uuid[]) AND status = ANY($2::text[])',
        [ids, statuses],
      );
      return rows[0]?.n ?? 0;
    };

    // ---- Phase 1: throughput.
    const executions = await mapLimit(fleets, 4, (f) => create(f, INSTANCES, {}));
    const ids = executions.map((e) => e.id);
    const before = await xactCommit();
    const [brokerChild, registryChild, orchestratorChild] = children;
    const cpu = CpuMeter.start([
      { name: 'orchestrator', matches: (p) => p.pid === orchestratorChild?.pid },
      { name: 'broker', matches: (p) => p.pid === brokerChild?.pid },
      { name: 'registry', matches: (p) => p.pid === registryChild?.pid },
      { name: 'this process: bench worker, agents', matches: (p) => p.pid === process.pid },
      ...LOCAL_SERVER_CPU_GROUPS,
    ]);
    const t0 = Date.now();
    await mapLimit(ids, 20, (id) => http('POST', `${api}/upgrades/${id}/start`));
    await waitFor(
      'every execution to reach IN_PROGRESS',
      async () => ((await statusCount(ids, ['IN_PROGRESS', 'COMPLETED'])) === ids.length ? true : undefined),
      300_000,
      50,
    );
    const tRollout = Date.now();
    const finished = await waitFor(
      'every execution to finish',
      async () =>
        (await statusCount(ids, ['COMPLETED', 'FAILED', 'ROLLED_BACK', 'CANCELLED'])) === ids.length
          ? Date.now()
          : undefined,
      600_000,
      50,
    );
    const cpuReport = cpu.stop();
    const completed = await statusCount(ids, ['COMPLETED']);
    const lag = await stats.query<{ topic: string; n: number; avg: number; p99: number }>(
      `SELECT topic, count(*)::int AS n,
              avg(extract(epoch FROM published_at - created_at) * 1000)::int AS avg,
              (percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM published_at - created_at) * 1000))::int AS p99
         FROM orchestrator.outbox GROUP BY topic`,
    );
    log('outbox relay lag (created → published, ms)', { byTopic: lag.rows });
    const after = await xactCommit();
    const total = EXECUTIONS * INSTANCES;
    const { rows: spanRows } = await stats.query<{ first: Date; last: Date }>(
      `SELECT min(started_at) AS first, max(completed_at) AS last FROM orchestrator.execution_instance WHERE execution_id = ANY($1::uuid[])`,
      [ids],
    );
    const span = spanRows[0];
    const rolloutSeconds = span ? (span.last.getTime() - span.first.getTime()) / 1000 : NaN;

    // ---- Phase 2: the delay from the threshold-crossing failure to ROLLING_BACK on upgrade.progress.
    const rollbackExecutions = await mapLimit(rollbackFleets, 4, (f) =>
      create(f, 20, {
        autoRollbackEnabled: true,
        failureThreshold: ROLLBACK_THRESHOLD,
        batchSize: 5,
        maxUnavailablePercentage: 25,
      }),
    );
    for (const e of rollbackExecutions) {
      const view = await http<{ instances: { id: string }[] }>('GET', `${api}/upgrades/${e.id}`);
      for (const i of view.instances.slice(0, ROLLBACK_THRESHOLD)) failing.add(i.id);
    }
    const rbIds = rollbackExecutions.map((e) => e.id);
    await mapLimit(rbIds, 8, (id) => http('POST', `${api}/upgrades/${id}/start`));
    await waitFor(
      'every rollback execution to finish',
      async () => ((await statusCount(rbIds, ['ROLLED_BACK', 'FAILED'])) === rbIds.length ? true : undefined),
      300_000,
      100,
    );
    await waitFor(
      'every ROLLING_BACK event',
      async () => (rbIds.every((id) => rollingBackAt.has(id)) ? true : undefined),
      30_000,
    );
    const delays: number[] = [];
    // Where the delay goes: failure sent → the deciding transaction began (outbox created_at) → the relay
    // published it (published_at) → the bench's consumer received it.
    const stages = { toTransaction: [] as number[], toPublished: [] as number[], toReceived: [] as number[] };
    for (const e of rollbackExecutions) {
      const view = await http<{ instances: { id: string }[] }>('GET', `${api}/upgrades/${e.id}`);
      const sent = view.instances.slice(0, ROLLBACK_THRESHOLD).map((i) => failingSentAt.get(i.id) ?? NaN);
      const lastFailure = Math.max(...sent);
      const received = rollingBackAt.get(e.id) ?? NaN;
      delays.push(received - lastFailure);
      const { rows } = await stats.query<{ created: Date; published: Date | null }>(
        `SELECT created_at AS created, published_at AS published FROM orchestrator.outbox
          WHERE topic = $1 AND payload->>'executionid' = $2 AND payload->'data'->>'to' = 'ROLLING_BACK'`,
        [Topics.PROGRESS, e.id],
      );
      const row = rows[0];
      if (row?.published) {
        stages.toTransaction.push(row.created.getTime() - lastFailure);
        stages.toPublished.push(row.published.getTime() - row.created.getTime());
        stages.toReceived.push(received - row.published.getTime());
      }
    }
    log('failure → ROLLING_BACK, by stage (ms, p50/p99)', {
      toTransaction: [percentile(stages.toTransaction, 50), percentile(stages.toTransaction, 99)],
      toPublished: [percentile(stages.toPublished, 50), percentile(stages.toPublished, 99)],
      toReceived: [percentile(stages.toReceived, 50), percentile(stages.toReceived, 99)],
    });
    await stats.end();

    const figures = {
      executions: EXECUTIONS,
      instancesPerExecution: INSTANCES,
      batchSize: BATCH_SIZE,
      maxUnavailablePercentage: MAX_UNAVAILABLE,
      completedExecutions: completed,
      wallSecondsStartToAllDone: (finished - t0) / 1000,
      validationSeconds: (tRollout - t0) / 1000,
      instanceUpgradesPerSecondOverall: Math.round(total / ((finished - t0) / 1000)),
      instanceUpgradesPerSecondRollout: Math.round(total / rolloutSeconds),
      postgresTransactionsPerInstance: Number(((after - before) / total).toFixed(2)),
      rollbackDelayMs: {
        samples: delays.length,
        p50: percentile(delays, 50),
        p99: percentile(delays, 99),
        max: Math.max(...delays),
      },
    };
    console.log(
      [
        `orchestrator bench: ${EXECUTIONS} executions × ${INSTANCES} instances (batchSize ${BATCH_SIZE}, maxUnavailable ${MAX_UNAVAILABLE}%, batchDelaySeconds 0)`,
        `  completed executions:               ${completed}/${EXECUTIONS}`,
        `  instance upgrades/s (rollout):      ${figures.instanceUpgradesPerSecondRollout}   (first dispatch → last COMPLETED, ${rolloutSeconds.toFixed(2)} s)`,
        `  instance upgrades/s (overall):      ${figures.instanceUpgradesPerSecondOverall}   (/start → all COMPLETED incl. ${figures.validationSeconds.toFixed(2)} s of validation)`,
        `  Postgres transactions per instance: ${figures.postgresTransactionsPerInstance}   (xact_commit delta, all orchestrator sessions incl. relay and recovery)`,
        `  failure → ROLLING_BACK event (ms):  p50 ${figures.rollbackDelayMs.p50}  p99 ${figures.rollbackDelayMs.p99}  (max ${figures.rollbackDelayMs.max}, ${delays.length} executions, threshold ${ROLLBACK_THRESHOLD})`,
        `  CPU per instance (phase 1, /start → all COMPLETED, validation included), by process:`,
        ...formatCpuReport(cpuReport, total, 'instance upgrades').map((line) => `  ${line}`),
      ].join('\n'),
    );
    console.log(JSON.stringify(figures));
    printBenchResult('orchestrator', floor, {
      upgradesPerSec: figures.instanceUpgradesPerSecondRollout,
      upgradesPerSecOverall: figures.instanceUpgradesPerSecondOverall,
      upgradesPerFloorReq: ratioToFloor(figures.instanceUpgradesPerSecondRollout, floor),
      cpuMsPerInstance: stackCpuMsPerUnit(cpuReport, total),
      machineBusyMsPerInstance: Number(((cpuReport.machineBusySeconds * 1000) / total).toFixed(2)),
      rollbackDelayP50Ms: figures.rollbackDelayMs.p50,
      rollbackDelayP99Ms: figures.rollbackDelayMs.p99,
    });
  } finally {
    await consumer?.disconnect().catch(() => undefined);
    await progressConsumer?.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    for (const child of [...children].reverse()) {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => {
          const t = setTimeout(() => {
            child.kill('SIGKILL');
            resolve(null);
          }, 10_000);
          child.once('exit', () => {
            clearTimeout(t);
            resolve(null);
          });
        });
      }
    }
    await agents.stop();
    await redis.cleanup().catch(() => undefined);
    await orchestratorDb.drop().catch(() => undefined);
    await registryDb.drop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
