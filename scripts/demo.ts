/**
 * `npm run demo`: Upshift end to end on this machine, then nothing left running.
 *
 * Starts the stack (embedded broker, registry, orchestrator, two workers, a simulated fleet of 20), loads
 * the demo catalog through the registry's seed function, registers the fleet for tenant 550e8400 at
 * upshift-gateway 2.1.0, then:
 *   1. posts the REST contract's CANARY example (real ids; timings shortened so the demo takes a minute),
 *      follows upgrade.progress from Kafka with a progress bar per batch, promotes the canary → COMPLETED;
 *   2. upgrades to 3.0.0 with failures injected into the fleet → auto-rolled back → ROLLED_BACK.
 * Prints a summary and exits 0 when both executions end as expected (1 otherwise).
 *
 * Options: `npm run demo -- --help`.
 */
import 'reflect-metadata';
import {
  canaryUpgradeExample,
  ExecutionStatus,
  InstanceStatus,
  type EventEnvelope,
  type ProgressEvent,
  type UpgradeExecutionView,
} from '@upshift/contracts';
import { isTerminal } from '@upshift/domain';
import { defineCli, runCli } from '@upshift/cli';
import {
  ensureDashboardBuilt,
  OrchestratorClient,
  ProgressFollower,
  startStack,
  type Stack,
} from '@upshift/stack';

const DEMO_CLI = defineCli({
  command: 'npm run demo --',
  summary:
    'Starts the whole stack on free ports, runs a CANARY upgrade to COMPLETED and a failing ROLLING one\n' +
    'to ROLLED_BACK, prints a summary and stops everything (exit 0 when both end as expected).',
  options: {
    instances: { type: 'integer', default: 20, min: 1, max: 100_000, description: 'simulated instances' },
    'seed-timings': {
      type: 'boolean',
      description: "keep the example request's own timings (60 s between batches, health every 30 s): slow",
    },
    verbose: { type: 'boolean', description: "echo the services' logs on stderr" },
  },
});
// Before anything starts: --help and a wrong flag end the process here.
const { values: options } = runCli(DEMO_CLI);
const INSTANCES = options.instances;
const TTY = process.stdout.isTTY === true;

const DEMO_TIMINGS = options['seed-timings']
  ? {}
  : { batchDelaySeconds: 1, healthCheckIntervalSeconds: 1, healthCheckTimeoutSeconds: 20 };

// ---------------------------------------------------------------------------------------------------
// Live display: log lines scroll; the progress block (one bar per batch) is redrawn below them.

class ProgressDisplay {
  private block: string[] = [];

  log(line: string): void {
    this.erase();
    process.stdout.write(`${line}\n`);
    this.draw();
  }

  update(lines: string[]): void {
    if (!TTY) return;
    this.erase();
    this.block = lines;
    this.draw();
  }

  /** Leaves the last block on screen and starts a fresh one. */
  commit(): void {
    if (TTY) this.block = [];
  }

  private erase(): void {
    if (!TTY || this.block.length === 0) return;
    process.stdout.write(`\x1b[${this.block.length}A`);
    process.stdout.write('\x1b[2K\n'.repeat(this.block.length));
    process.stdout.write(`\x1b[${this.block.length}A`);
  }

  private draw(): void {
    if (!TTY) return;
    for (const line of this.block) process.stdout.write(`${line}\n`);
  }
}

const display = new ProgressDisplay();
const say = (line: string) => display.log(line);

function bar(done: number, failed: number, total: number, width = 24): string {
  const ok = Math.round((done / Math.max(1, total)) * width);
  const bad = Math.round((failed / Math.max(1, total)) * width);
  return `${'█'.repeat(ok)}${'▓'.repeat(bad)}${'░'.repeat(Math.max(0, width - ok - bad))}`;
}

/** Batch-by-batch view of one execution, built from its progress events only. */
class ExecutionProgress {
  status = 'PENDING';
  private readonly batches = new Map<number, string[]>();
  private readonly statusOf = new Map<string, string>();
  private readonly names = new Map<string, string>();
  private readonly batchOf = new Map<string, number>();

  constructor(readonly label: string) {}

  apply(event: EventEnvelope<ProgressEvent>): void {
    const data = event.data;
    switch (data.kind) {
      case 'ExecutionCreated':
        for (const i of data.instances) this.names.set(i.instanceId, i.instanceName);
        break;
      case 'ExecutionStatusChanged':
        this.status = data.to;
        say(`  ${time()} execution ${data.from} → ${data.to}${data.reason ? ` (${data.reason})` : ''}`);
        break;
      case 'ValidationCheckCompleted':
        say(`  ${time()} check ${data.check}: ${data.passed ? 'passed' : 'FAILED'} — ${data.detail}`);
        break;
      case 'BatchStarted':
        this.batches.set(data.batch, data.instanceIds);
        for (const id of data.instanceIds) this.batchOf.set(id, data.batch);
        if (!TTY)
          say(
            `  ${time()} batch ${data.batch} started: ${data.instanceIds.map((id) => this.names.get(id) ?? id).join(', ')}`,
          );
        break;
      case 'BatchCompleted':
        if (!TTY)
          say(`  ${time()} batch ${data.batch} done: ${data.completed} completed, ${data.failed} failed`);
        break;
      case 'InstanceStatusChanged':
        this.names.set(data.instanceId, data.instanceName);
        this.statusOf.set(data.instanceId, data.to);
        if (data.batch !== null && !this.batchOf.has(data.instanceId))
          this.batchOf.set(data.instanceId, data.batch);
        if (data.to === InstanceStatus.FAILED)
          say(`  ${time()} ${data.instanceName} FAILED: ${data.error ?? 'no reason given'}`);
        break;
      case 'CanaryHealthReported':
        say(`  ${time()} canary health: ${data.healthy} healthy, ${data.unhealthy} unhealthy`);
        break;
      case 'RollbackStarted':
        say(
          `  ${time()} ROLLBACK started by ${data.initiatedBy}: ${data.reason} (${data.instanceIds.length} instances)`,
        );
        break;
      case 'RollbackCompleted':
        say(
          `  ${time()} rollback done: ${data.rolledBackInstances.length} rolled back, ${data.failedInstances.length} failed`,
        );
        break;
      default:
        break;
    }
    display.update(this.render());
  }

  render(): string[] {
    const lines = [...this.batches.entries()]
      .sort(([a], [b]) => a - b)
      .map(([batch, ids]) => {
        const statuses = ids.map((id) => this.statusOf.get(id) ?? 'PENDING');
        const done = statuses.filter((s) => s === InstanceStatus.COMPLETED).length;
        const failed = statuses.filter((s) => s === InstanceStatus.FAILED).length;
        const back = statuses.filter((s) => s === InstanceStatus.ROLLED_BACK).length;
        const moving = statuses.filter(
          (s) =>
            s === InstanceStatus.DRAINING ||
            s === InstanceStatus.UPGRADING ||
            s === InstanceStatus.HEALTH_CHECKING,
        ).length;
        return `    batch ${String(batch).padStart(2)} ${bar(done, failed + back, ids.length)} ${done}/${ids.length} completed${failed ? `, ${failed} failed` : ''}${back ? `, ${back} rolled back` : ''}${moving ? `, ${moving} in flight` : ''}`;
      });
    return [...lines, `    ${this.label}: ${this.status}`];
  }
}

function time(): string {
  return new Date().toISOString().slice(11, 19);
}

// ---------------------------------------------------------------------------------------------------

interface ExecutionSummary {
  label: string;
  view: UpgradeExecutionView;
  seconds: number;
  maxOutOfService: number;
  allowedUnavailable: number;
  progressEvents: number;
}

async function runExecution(
  stack: Stack,
  client: OrchestratorClient,
  follower: ProgressFollower,
  label: string,
  request: Record<string, unknown>,
  { promoteCanary }: { promoteCanary: boolean },
): Promise<ExecutionSummary> {
  stack.fleet.resetOutOfServiceHistory();
  const started = Date.now();
  const created = await client.create(stack.tenantId, request);
  say(
    `\n${label}: execution ${created.id} created (${created.strategy}, ${created.totalInstances} instances)`,
  );
  const progress = new ExecutionProgress(label);
  let promoted = false;
  let finished: (status: string) => void = () => undefined;
  const done = new Promise<string>((resolve) => (finished = resolve));
  const onEvent = (event: EventEnvelope<ProgressEvent>) => {
    if (event.executionid !== created.id) return;
    progress.apply(event);
    const data = event.data;
    if (
      promoteCanary &&
      !promoted &&
      data.kind === 'CanaryHealthReported' &&
      data.unhealthy === 0 &&
      data.healthy > 0
    ) {
      promoted = true;
      say(`  ${time()} canaries healthy: promoting the canary`);
      client
        .operate(created.id, 'promote-canary')
        .catch((error: unknown) => say(`  promote failed: ${String(error)}`));
    }
  };
  for (const event of follower.eventsOf(created.id)) onEvent(event);
  const unsubscribe = follower.on(onEvent);
  void follower.terminalStatus(created.id).then(finished);
  await client.operate(created.id, 'start');
  // Progress events drive the display; polling the REST view is only a safety net.
  const poll = setInterval(() => {
    client.get(created.id).then(
      (view) => isTerminal(view.status) && finished(view.status),
      () => undefined,
    );
  }, 5000);
  const deadline = setTimeout(() => finished('TIMEOUT'), 10 * 60_000);
  await done;
  clearInterval(poll);
  clearTimeout(deadline);
  await new Promise((resolve) => setTimeout(resolve, 500)); // let the last progress events arrive
  unsubscribe();
  display.update(progress.render());
  display.commit();
  const view = await client.get(created.id);
  const total = Number(request['totalInstances']);
  return {
    label,
    view,
    seconds: (Date.now() - started) / 1000,
    maxOutOfService: stack.fleet.outOfServiceHistory().max,
    allowedUnavailable: Math.max(1, Math.floor((total * Number(request['maxUnavailablePercentage'])) / 100)),
    progressEvents: follower.eventsOf(created.id).length,
  };
}

async function main(): Promise<number> {
  const startedAt = Date.now();
  say(`Upshift demo: ${INSTANCES} simulated instances of upshift-gateway for tenant 550e8400`);
  let stack: Stack | null = null;
  let follower: ProgressFollower | null = null;
  let stopping = false;
  const cleanup = async () => {
    if (stopping) return;
    stopping = true;
    say('\nstopping the stack …');
    await follower?.stop().catch(() => undefined);
    await stack?.stop();
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  process.once('SIGTERM', () => void cleanup().then(() => process.exit(143)));
  try {
    // A fresh clone has no dashboard files (git-ignored): build them once, so the link below opens it.
    if (await ensureDashboardBuilt()) say(`  ${time()} dashboard built into dist/dashboard`);
    stack = await startStack({
      label: 'demo',
      workers: 2,
      workerConcurrency: 16,
      echo: options.verbose,
      log: (line) => say(`  ${time()} ${line}`),
      orchestratorEnv: { CANARY_MONITOR_TICK_MS: '250' },
      fleet: {
        instances: INSTANCES,
        initialVersion: '2.1.0',
        latency: {
          default: { kind: 'uniform', minMs: 10, maxMs: 60 },
          drain: { kind: 'uniform', minMs: 100, maxMs: 400 },
          upgrade: { kind: 'normal', meanMs: 900, stddevMs: 250 },
        },
      },
    });
    say(
      `  stack up: ${stack.baseUrl} (registry paths proxied), Kafka ${stack.brokers.join(',')}, fleet ${stack.fleet.baseUrl}`,
    );
    say(`  dashboard: ${stack.baseUrl}/ (while the demo runs)`);
    say(`  sign-in link (operator of ${stack.tenantId}): ${stack.baseUrl}/#token=${stack.operatorToken}`);
    follower = new ProgressFollower(stack.brokers);
    await follower.start();
    const client = new OrchestratorClient(stack.baseUrl, stack.operatorToken);

    const canary = await runExecution(
      stack,
      client,
      follower,
      'CANARY 2.1.0 → 2.2.2',
      canaryUpgradeExample({
        ...DEMO_TIMINGS,
        totalInstances: INSTANCES,
        componentId: stack.componentId,
        fromVersionId: stack.versionId('2.1.0'),
        toVersionId: stack.versionId('2.2.2'),
      }),
      { promoteCanary: true },
    );

    // The orchestrator records the new versions in the registry just after COMPLETED (ADR 0033); the
    // next execution selects its instances from there.
    await stack.inventoryMatchesFleet();
    // Failures on the instances the next execution upgrades first (the planner takes them in name order).
    const names = stack.fleet.instances.map((i) => i.name);
    const failing = names.slice(0, 2);
    const unhealthy = names.slice(2, 3);
    stack.fleet.setFaults({
      upgradeFails: { instances: failing },
      unhealthyAfterUpgrade: { instances: unhealthy },
    });
    say(
      `\ninjected faults: upgrade fails on ${failing.join(', ')}; unhealthy after upgrade: ${unhealthy.join(', ')}`,
    );
    const failed = await runExecution(
      stack,
      client,
      follower,
      'ROLLING 2.2.2 → 3.0.0 (faults)',
      {
        componentId: stack.componentId,
        fromVersionId: stack.versionId('2.2.2'),
        toVersionId: stack.versionId('3.0.0'),
        strategy: 'ROLLING',
        batchSize: 5,
        batchDelaySeconds: 1,
        healthCheckIntervalSeconds: 1,
        healthCheckTimeoutSeconds: 5,
        maxUnavailablePercentage: 25,
        totalInstances: INSTANCES,
        autoRollbackEnabled: true,
        failureThreshold: 2,
        initiatedBy: 'demo@upshift.local',
        installedComponents: { kafka: '3.6.0', postgresql: '16.1.0' },
      },
      { promoteCanary: false },
    );

    const versions = new Map<string, number>();
    for (const instance of stack.fleet.instances)
      versions.set(instance.version, (versions.get(instance.version) ?? 0) + 1);
    const ok =
      canary.view.status === ExecutionStatus.COMPLETED && failed.view.status === ExecutionStatus.ROLLED_BACK;
    say('\n──────── summary ────────');
    for (const s of [canary, failed]) {
      say(`${s.label}: ${s.view.status} in ${s.seconds.toFixed(1)} s`);
      say(
        `  instances: ${s.view.completedInstances} completed, ${s.view.failedInstances} failed, batches ${s.view.currentBatch}/${s.view.totalBatches}`,
      );
      say(
        `  out of service at once, as the fleet saw it: max ${s.maxOutOfService} (allowed ${s.allowedUnavailable})`,
      );
      say(
        `  progress events: ${s.progressEvents}, sequence gaps: ${follower.gaps.filter((g) => g.executionId === s.view.id).length}`,
      );
      if (s.view.rollbackInfo?.rollbackReason) {
        say(
          `  rollback: ${s.view.rollbackInfo.rollbackReason} — by ${s.view.rollbackInfo.rollbackInitiatedBy}, ${s.view.rollbackInfo.rolledBackInstances.length} instances rolled back`,
        );
      }
    }
    say(`fleet versions now: ${[...versions].map(([v, n]) => `${n} × ${v}`).join(', ')}`);
    say(
      `${ok ? 'demo OK' : 'demo FAILED: expected COMPLETED then ROLLED_BACK'} (${((Date.now() - startedAt) / 1000).toFixed(0)} s)`,
    );
    return ok ? 0 : 1;
  } catch (error) {
    say(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
