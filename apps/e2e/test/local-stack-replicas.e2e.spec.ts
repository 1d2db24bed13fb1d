import { spawn } from 'child_process';
import type { ChildProcess } from 'child_process';
import { randomUUID } from 'crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import type { EventEnvelope, ProgressEvent, UpgradeExecutionView } from '@upshift/contracts';
import { createTestDatabase } from '@upshift/testing';
import type { TestDatabase } from '@upshift/testing';
import { freePort, OrchestratorClient, ProgressFollower, REPO_ROOT } from '@upshift/stack';

/**
 * `npm run up` with UP_ORCHESTRATORS=2, as an operator runs it: two orchestrator replicas behind the
 * same paths. An upgrade is started through replica 1, the replica holding the outbox relay's
 * leadership is killed with SIGKILL mid-run (found from /health/ready: killing it leaves the survivor
 * to take over both the publishing and the dead replica's results partitions, the harder case), and
 * the run must still end COMPLETED through the survivor with every instance upgraded exactly once, as
 * the fleet's own counters show.
 *
 * Unlike readme.e2e.spec.ts, which holds the README's fixed ports and the checkout's .data/, this
 * stack gets free ports, its own UP_DATA_DIR and its own Redis prefixes, so the two suites may run
 * at the same time (Jest runs two files at once).
 */
const TENANT = '550e8400';
const INSTANCES = 6;

interface StackFile {
  launcherPid: number;
  services: Record<string, { name: string; pid: number; port: number | null; logFile: string | null }>;
}
interface FleetInstance {
  name: string;
  version: string;
  counters: { upgradesApplied: number; rollbacksApplied: number };
}

async function getJson<T>(url: string, token?: string): Promise<T> {
  const response = await fetch(url, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(5000),
  });
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return (await response.json()) as T;
}

/** Polls `read` until `done` holds, or fails after `timeoutMs` with the last value seen. */
async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    try {
      last = await read();
      if (done(last)) return last;
    } catch {
      // the service is busy or restarting; try again
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`not reached within ${timeoutMs / 1000}s; last seen: ${JSON.stringify(last)}`);
}

describe('npm run up with two orchestrator replicas (e2e)', () => {
  let db: TestDatabase;
  let dataDir: string;
  let up: ChildProcess;
  let upOutput = '';
  let upExit: Promise<number | null>;
  let follower: ProgressFollower | undefined;
  let ports: { kafka: number; registry: number; orchestrator: number; orchestrator2: number; fleet: number };

  beforeAll(async () => {
    db = await createTestDatabase('replicas');
    dataDir = mkdtempSync(path.join(tmpdir(), 'upshift-replicas-'));
    const [kafka, registry, orchestrator, orchestrator2, fleet] = await Promise.all(
      Array.from({ length: 5 }, () => freePort()),
    );
    ports = {
      kafka: kafka ?? 0,
      registry: registry ?? 0,
      orchestrator: orchestrator ?? 0,
      orchestrator2: orchestrator2 ?? 0,
      fleet: fleet ?? 0,
    };
    const unset = new Set(['KAFKA_BROKERS', 'AUTH_JWT_SECRET', 'UP_WORKERS']);
    const prefix = `replicas-${randomUUID().slice(0, 8)}`;
    const env: NodeJS.ProcessEnv = {
      ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !unset.has(key))),
      DATABASE_URL: db.url,
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'warn',
      UP_ORCHESTRATORS: '2',
      UP_FLEET_INSTANCES: String(INSTANCES),
      UP_DATA_DIR: dataDir,
      UP_KAFKA_PORT: String(ports.kafka),
      REGISTRY_PORT: String(ports.registry),
      ORCHESTRATOR_PORT: String(ports.orchestrator),
      UP_ORCHESTRATOR2_PORT: String(ports.orchestrator2),
      FLEET_PORT: String(ports.fleet),
      // The launcher passes its environment on: timers and leases apart from any other stack's.
      QUEUE_PREFIX: prefix,
      WORKER_REDIS_PREFIX: `${prefix}:worker`,
    };
    up = spawn(process.execPath, ['-r', '@swc-node/register', 'scripts/local-stack.ts'], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    upExit = new Promise((resolve) => up.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`npm run up was not up within 150 s:\n${upOutput.slice(-3000)}`)),
        150_000,
      );
      const onData = (chunk: Buffer) => {
        upOutput += chunk.toString();
        if (upOutput.includes('"msg":"local stack up')) {
          clearTimeout(timer);
          resolve();
        }
      };
      up.stdout?.on('data', onData);
      up.stderr?.on('data', onData);
      void upExit.then((code) => {
        clearTimeout(timer);
        reject(new Error(`npm run up exited (${code}) before it was up:\n${upOutput.slice(-3000)}`));
      });
    });
    follower = new ProgressFollower([`127.0.0.1:${ports.kafka}`]);
    await follower.start();
  }, 180_000);

  /** Before the broker goes: a consumer left behind by a stopped broker keeps Jest from exiting. */
  async function stopFollower(): Promise<void> {
    const running = follower;
    follower = undefined;
    await running?.stop();
  }

  afterAll(async () => {
    await stopFollower();
    if (up && up.exitCode === null && up.signalCode === null) {
      up.kill('SIGTERM');
      await upExit;
    }
    await db?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  const stackFile = () => path.join(dataDir, 'stack.json');
  const readStack = () => JSON.parse(readFileSync(stackFile(), 'utf8')) as StackFile;

  it('lists every process with its pid and port in stack.json', () => {
    const stack = readStack();
    expect(stack.launcherPid).toBe(up.pid);
    expect(Object.keys(stack.services).sort()).toEqual(
      ['fleet-sim', 'orchestrator', 'orchestrator-2', 'registry', 'worker-1', 'worker-2'].sort(),
    );
    expect(stack.services['orchestrator']).toMatchObject({ port: ports.orchestrator, logFile: null });
    expect(stack.services['orchestrator-2']).toMatchObject({ port: ports.orchestrator2 });
    expect(stack.services['registry']?.port).toBe(ports.registry);
    expect(stack.services['fleet-sim']?.port).toBe(ports.fleet);
    for (const service of Object.values(stack.services)) expect(service.pid).toBeGreaterThan(0);
    expect(stack.services['orchestrator']?.pid).not.toBe(stack.services['orchestrator-2']?.pid);
  });

  it('a ROLLING upgrade started through replica 1 completes through the survivor after the relay leader is SIGKILLed mid-run', async () => {
    const tokens = JSON.parse(readFileSync(path.join(dataDir, 'tokens.json'), 'utf8')) as {
      operatorToken: string;
    };
    const base = (port: number) => `http://127.0.0.1:${port}`;
    const api = (port: number) => `${base(port)}/api/v1/registry`;
    const client1 = new OrchestratorClient(base(ports.orchestrator), tokens.operatorToken);
    const progress = follower;
    if (!progress) throw new Error('the progress follower is not running');

    const components = await getJson<{ id: string; name: string }[]>(
      `${api(ports.orchestrator)}/components`,
      tokens.operatorToken,
    );
    const gateway = components.find((component) => component.name === 'upshift-gateway');
    if (!gateway) throw new Error('the demo catalog has no upshift-gateway');
    const versions = await getJson<{ id: string; version: string }[]>(
      `${api(ports.orchestrator)}/components/${gateway.id}/versions`,
      tokens.operatorToken,
    );
    const versionId = (version: string) => versions.find((v) => v.version === version)?.id;

    const created = await client1.create(TENANT, {
      componentId: gateway.id,
      fromVersionId: versionId('2.1.0'),
      toVersionId: versionId('2.2.2'),
      strategy: 'ROLLING',
      batchSize: 1,
      batchDelaySeconds: 0,
      healthCheckIntervalSeconds: 1,
      healthCheckTimeoutSeconds: 5,
      totalInstances: INSTANCES,
      autoRollbackEnabled: false,
      installedComponents: { kafka: '3.7.0', postgresql: '15.4.0' },
      initiatedBy: 'replicas@upshift.test',
    });
    const executionId = created.id;
    const firstBatchDone = new Promise<void>((resolve) => {
      const done = (event: EventEnvelope<ProgressEvent>) =>
        event.executionid === executionId && event.data.kind === 'BatchCompleted';
      if (progress.events.some(done)) return resolve();
      const off = progress.on((event) => {
        if (!done(event)) return;
        off();
        resolve();
      });
    });
    await client1.operate(executionId, 'start');
    await firstBatchDone;

    // Which replica publishes: the one to kill.
    const leaderHere = async (port: number) =>
      (
        await getJson<{ details: { outbox?: { relay?: { leaderHere?: boolean } } } }>(
          `${base(port)}/health/ready`,
        )
      ).details.outbox?.relay?.leaderHere === true;
    const [leader1, leader2] = await Promise.all([
      leaderHere(ports.orchestrator),
      leaderHere(ports.orchestrator2),
    ]);
    expect([leader1, leader2].filter(Boolean)).toHaveLength(1);
    const victim = leader1 ? 'orchestrator' : 'orchestrator-2';
    const survivorPort = leader1 ? ports.orchestrator2 : ports.orchestrator;

    const mid = await client1.get(executionId);
    expect(mid.status).not.toBe('COMPLETED');
    const victimPid = readStack().services[victim]?.pid ?? 0;
    const killedAt = Date.now();
    const nextEvent = new Promise<number>((resolve) => {
      // An event the engine made after the kill: one already in flight from the victim does not count.
      const off = progress.on((event) => {
        if (event.executionid !== executionId || Date.parse(event.time) < killedAt) return;
        off();
        resolve(Date.now());
      });
    });
    process.kill(victimPid, 'SIGKILL');

    const survivor = new OrchestratorClient(base(survivorPort), tokens.operatorToken);
    const final = await waitFor<UpgradeExecutionView>(
      () => survivor.get(executionId),
      (view) => ['COMPLETED', 'FAILED', 'ROLLED_BACK', 'CANCELLED'].includes(view.status),
      120_000,
    );
    const takeoverMs = (await nextEvent) - killedAt;
    // A figure, not an assertion (benchmarks and `npm run chaos` measure takeover); printed on request.
    if (process.env['LOG_LEVEL'] !== 'silent')
      console.log(
        `replica takeover: ${victim} (relay leader) SIGKILLed after batch 1 of ${INSTANCES}; ` +
          `next progress event of the execution ${takeoverMs} ms later; COMPLETED ${Date.now() - killedAt} ms after the kill`,
      );
    expect({
      status: final.status,
      completed: final.completedInstances,
      failed: final.failedInstances,
    }).toEqual({
      status: 'COMPLETED',
      completed: INSTANCES,
      failed: 0,
    });

    const fleet = await getJson<FleetInstance[]>(`${base(ports.fleet)}/admin/instances`);
    expect(fleet).toHaveLength(INSTANCES);
    for (const instance of fleet)
      expect({ name: instance.name, version: instance.version, ...instance.counters }).toMatchObject({
        name: instance.name,
        version: '2.2.2',
        upgradesApplied: 1,
        rollbacksApplied: 0,
      });
    expect(progress.gaps).toEqual([]);

    // The launcher carried on and no longer lists the dead replica.
    expect(up.exitCode).toBeNull();
    expect(Object.keys(readStack().services)).not.toContain(victim);
  }, 180_000);

  it('a clean stop removes stack.json', async () => {
    await stopFollower();
    up.kill('SIGTERM');
    expect(await upExit).toBe(0);
    expect(existsSync(stackFile())).toBe(false);
  }, 60_000);
});
