import { setTimeout as sleep } from 'timers/promises';
import { ExecutionStatus, type UpgradeExecutionView } from '@upshift/contracts';
import { isTerminal, maxUnavailable } from '@upshift/domain';
import { staleAppliedCalls, startFleet, type Fleet, type LatencyProfile } from '@upshift/fleet';
import { mintToken } from '@upshift/http';
import { OrchestratorClient } from '@upshift/stack';
import type { ChaosStack } from './chaos-stack';
import {
  checkDeadLetters,
  checkExecution,
  checkProgressStream,
  checkZoneCoverage,
  type ExecutionExpectation,
  type ExecutionOutcome,
  type Violation,
} from './checks';
import type { KafkaObserver, ObservedProgress } from './kafka-observer';
import type { DangerZone, KillKind, PlannedKill, RunPlan, ServiceKillKind, WatchedZone } from './schedule';
import type { ProcessExit, SupervisedProcess } from './supervised-process';

export const FROM_VERSION = '2.1.0';
export const TO_VERSION = '2.2.2';
const OUT_OF_SERVICE_PERCENT = 10;

/** The fleet answers like a real one: slow enough that validation and batches are windows a kill can hit. */
export const CHAOS_LATENCY: LatencyProfile = {
  default: { kind: 'uniform', minMs: 20, maxMs: 80 },
  status: { kind: 'uniform', minMs: 200, maxMs: 600 },
  health: { kind: 'uniform', minMs: 100, maxMs: 400 },
  upgrade: { kind: 'uniform', minMs: 200, maxMs: 800 },
  rollback: { kind: 'uniform', minMs: 100, maxMs: 400 },
};

type Label = 'rolling' | 'canary' | 'failing';
interface ExecutionSpec {
  label: Label;
  strategy: 'ROLLING' | 'CANARY';
  expected: ExecutionStatus;
  autoRollbackEnabled: boolean;
}
const SPECS: readonly ExecutionSpec[] = [
  { label: 'rolling', strategy: 'ROLLING', expected: ExecutionStatus.COMPLETED, autoRollbackEnabled: false },
  { label: 'canary', strategy: 'CANARY', expected: ExecutionStatus.COMPLETED, autoRollbackEnabled: false },
  { label: 'failing', strategy: 'ROLLING', expected: ExecutionStatus.ROLLED_BACK, autoRollbackEnabled: true },
];

/** A kill as it happened. */
export interface ExecutedKill {
  kind: KillKind;
  /** The process (or agent) hit. */
  target: string;
  zone: DangerZone | null;
  /** ms after the run started. */
  atMs: number;
  killedAt: number;
  downMs: number;
  /** Kill → next progress event of an execution that was not terminal then; null when none came. */
  takeoverMs: number | null;
  landedInside: boolean;
  /** Which execution's zone (closing events are looked up for it). */
  zoneExecution: string | null;
  /** The batch for `mid-batch`. */
  batch: number | null;
}

/** What the orchestrator said about an execution at the end: for the table, not for the checks. */
export interface OrchestratorAccount {
  statusReason: string | null;
  /** Instances it reports FAILED, with their error. */
  failed: { name: string; error: string | null }[];
}

export interface RunResult {
  plan: RunPlan;
  kills: ExecutedKill[];
  executions: (ExecutionOutcome & { label: string; account: OrchestratorAccount | null })[];
  violations: Violation[];
  /** Service deaths the harness did not cause, other than crash points. */
  unplannedExits: string[];
  wallMs: number;
}

export interface RunOptions {
  stack: ChaosStack;
  observer: KafkaObserver;
  plan: RunPlan;
  instancesPerExecution: number;
  deadlineMs: number;
  /** Restart both replicas with this run's crash points before it starts (not for the first run). */
  rearmCrashPoints: boolean;
  log: (line: string) => void;
}

/**
 * One run: three executions on fleets of their own, the plan's kills fired when their zones open, the
 * crash points left to fire on their own, then the checks. Leaves every service running.
 */
export async function runChaos(options: RunOptions): Promise<RunResult> {
  const { stack, observer, plan, log } = options;
  const n = options.instancesPerExecution;
  const batchSize = maxUnavailable(n, OUT_OF_SERVICE_PERCENT);
  const runStart = Date.now();
  const kills: ExecutedKill[] = [];
  const unplannedExits: string[] = [];
  const busy = new Map<string, Promise<void>>();
  let crashPointFired = false;
  let finished = false;
  const executions = new Map<Label, UpgradeExecutionView>();
  const terminal = new Map<string, ExecutionStatus>();
  const labelOf = new Map<string, Label>();
  const instanceNames = new Map<string, string>();

  // Service deaths the harness did not ask for: crash points (expected), anything else (reported).
  const replicaIndex = (service: SupervisedProcess) => stack.orchestrators.indexOf(service);
  const armFor = (service: SupervisedProcess): Record<string, string> => {
    const index = replicaIndex(service);
    return index >= 0 && !crashPointFired ? { UPSHIFT_CRASH_POINT: plan.crashPoints[index] ?? '' } : {};
  };
  const services: SupervisedProcess[] = [
    stack.redis,
    stack.broker,
    stack.registry,
    ...stack.orchestrators,
    ...stack.workers,
  ];
  for (const service of services) {
    service.onUnexpectedExit = (exit: ProcessExit) => {
      const crash = exit.tail.find((line) => line.startsWith('crash point '));
      const killedAt = Date.now();
      if (crash) {
        crashPointFired = true;
        kills.push(
          newKill(
            'crash-point',
            `${service.name} (${crash.split(' ')[2] ?? '?'})`,
            'commit-publish',
            killedAt,
          ),
        );
      } else {
        unplannedExits.push(
          `${service.name} exited (${exit.signal ?? `code ${exit.code}`}) at +${killedAt - runStart} ms`,
        );
        log(`! ${service.name} exited on its own: ${exit.tail.slice(-3).join(' | ')}`);
      }
      guard(service.name, async () => {
        await sleep(500);
        if (!service.running) await service.start(armFor(service));
      });
    };
  }

  const newKill = (
    kind: KillKind,
    target: string,
    zone: DangerZone | null,
    killedAt: number,
    downMs = 0,
    zoneExecution: string | null = null,
    batch: number | null = null,
  ): ExecutedKill => {
    const kill: ExecutedKill = {
      kind,
      target,
      zone,
      atMs: killedAt - runStart,
      killedAt,
      downMs,
      takeoverMs: null,
      landedInside: zone === 'commit-publish',
      zoneExecution,
      batch,
    };
    const affected = new Set([...executions.values()].filter((e) => !terminal.has(e.id)).map((e) => e.id));
    const off = observer.on((observed) => {
      if (!affected.has(observed.record.executionId) || Date.parse(observed.record.time) <= killedAt) return;
      kill.takeoverMs = observed.receivedAt - killedAt;
      off();
    });
    return kill;
  };

  /** One restart at a time per service; errors are logged, the next kill of it waits. */
  const guard = (name: string, work: () => Promise<void>) => {
    const previous = busy.get(name) ?? Promise.resolve();
    const next = previous
      .then(work)
      .catch((error: unknown) => log(`! ${name}: ${error instanceof Error ? error.message : String(error)}`));
    busy.set(name, next);
    return next;
  };

  const pick = (pair: readonly SupervisedProcess[], target: number) =>
    pair[target]?.running ? pair[target] : pair.find((p) => p.running);

  /** Kills the planned service now, starts it again after its down time; resolves when it is back. */
  const fire = (
    planned: PlannedKill,
    zone: WatchedZone | null,
    zoneExecution: string | null,
    batch: number | null,
  ): Promise<void> => {
    const kind: ServiceKillKind = planned.kind;
    const victim =
      kind === 'orchestrator'
        ? pick(stack.orchestrators, planned.target)
        : kind === 'worker'
          ? pick(stack.workers, planned.target)
          : kind === 'broker'
            ? stack.broker
            : kind === 'redis'
              ? stack.redis
              : null;
    const name = kind === 'postgres' ? 'postgres' : victim?.name;
    if (name === undefined || (victim && !victim.running)) {
      log(`! no ${kind} running to kill`);
      return Promise.resolve();
    }
    return guard(name, async () => {
      const killedAt = Date.now();
      if (kind === 'postgres') await stack.postgres.crash();
      else await victim?.kill();
      kills.push(newKill(kind, name, zone, killedAt, planned.downMs, zoneExecution, batch));
      log(`✗ ${name} killed (${zone ?? 'timed'}) at +${killedAt - runStart} ms; down ${planned.downMs} ms`);
      await sleep(planned.downMs);
      if (kind === 'postgres') await stack.postgres.start();
      else if (victim) await victim.start(armFor(victim));
    });
  };

  if (options.rearmCrashPoints) {
    await Promise.all(
      stack.orchestrators.map((replica, index) =>
        guard(replica.name, async () => {
          await replica.stop();
          await replica.start({ UPSHIFT_CRASH_POINT: plan.crashPoints[index] ?? '' });
        }),
      ),
    );
  }

  // Fleets, tenants and the executions.
  const tenants = SPECS.map((spec) => `chaos-s${plan.seed}-r${plan.run}-${spec.label}`);
  const operatorToken = await mintToken({
    secret: stack.authSecret,
    sub: 'chaos-operator',
    tenants,
    roles: ['operator'],
    ttlSeconds: 3600,
  });
  const fleets = new Map<Label, Fleet>();
  for (const [index, spec] of SPECS.entries()) {
    const fleet = await startFleet({
      instances: n,
      initialVersion: FROM_VERSION,
      namePrefix: `${spec.label}-r${plan.run}`,
      latency: CHAOS_LATENCY,
      seed: plan.seed * 31 + plan.run * 7 + index,
      agentKeys: stack.agentKeys,
    });
    // Registration is set-up, not under test: a registry that answers 5xx under load (its connection
    // pool's wait timing out) is asked again; registering an instance twice is a no-op (200).
    for (let attempt = 1; ; attempt += 1) {
      try {
        await fleet.register({
          registryUrl: stack.registryUrl,
          token: operatorToken,
          tenantId: tenants[index] ?? '',
          componentId: stack.componentId,
          versionId: stack.versionId(FROM_VERSION),
          concurrency: 8,
        });
        break;
      } catch (error) {
        if (attempt >= 5 || !/→ 5\d\d|fetch failed|aborted/.test(String(error))) throw error;
        log(`! fleet registration failed (attempt ${attempt}), again in 2 s: ${String(error).slice(0, 200)}`);
        await sleep(2_000);
      }
    }
    if (spec.label === 'failing') {
      const names = fleet.instances.map((i) => i.name).sort();
      fleet.setFaults({ upgradeFails: { instances: plan.failingPositions.map((p) => names[p] ?? '') } });
    }
    fleets.set(spec.label, fleet);
  }

  const clients = stack.orchestratorUrls.map((url) => new OrchestratorClient(url, operatorToken));
  /** Through whichever replica answers: either may be down at any moment. */
  const api = async <T>(call: (client: OrchestratorClient) => Promise<T>, timeoutMs = 90_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    let attempt = 0;
    for (;;) {
      const client = clients[attempt % clients.length] as OrchestratorClient;
      attempt += 1;
      try {
        return await call(client);
      } catch (error) {
        if (/answered (4\d\d)/.test(String(error)) && !/answered (408|429)/.test(String(error))) throw error;
        if (Date.now() > deadline) throw error;
        await sleep(300);
      }
    }
  };

  const watcher = watchZones();
  try {
    for (const [index, spec] of SPECS.entries()) {
      const created = await api((client) =>
        client.create(tenants[index] ?? '', {
          componentId: stack.componentId,
          fromVersionId: stack.versionId(FROM_VERSION),
          toVersionId: stack.versionId(TO_VERSION),
          strategy: spec.strategy,
          canaryPercentage: 10,
          batchSize,
          batchDelaySeconds: 0,
          healthCheckIntervalSeconds: 1,
          healthCheckTimeoutSeconds: 10,
          maxUnavailablePercentage: OUT_OF_SERVICE_PERCENT,
          totalInstances: n,
          autoRollbackEnabled: spec.autoRollbackEnabled,
          failureThreshold: 2,
          installedComponents: { kafka: '3.7.0', postgresql: '15.4.0' },
          initiatedBy: 'chaos@upshift.test',
        }),
      );
      executions.set(spec.label, created);
      labelOf.set(created.id, spec.label);
      for (const instance of created.instances) instanceNames.set(instance.id, instance.name);
    }
    for (const execution of executions.values()) {
      await api((client) => client.operate(execution.id, 'start')).catch(async (error: unknown) => {
        // A start whose answer was lost to a kill: it took effect if the execution left PENDING.
        const view = await api((client) => client.get(execution.id));
        if (view.status === ExecutionStatus.PENDING) throw error;
      });
    }
    log(
      `run ${plan.run}: executions ${[...executions.values()].map((e) => e.id.slice(0, 8)).join(', ')} started`,
    );

    const timed = plan.kills.find((k) => 'afterMs' in k.trigger);
    const timer =
      timed && 'afterMs' in timed.trigger
        ? setTimeout(() => void (!finished && fire(timed, null, null, null)), timed.trigger.afterMs)
        : null;

    // Until every execution is terminal (from the stream, checked against the API) or the deadline.
    const deadline = runStart + options.deadlineMs;
    while (terminal.size < executions.size && Date.now() < deadline) {
      await sleep(2_000);
      for (const execution of executions.values()) {
        if (terminal.has(execution.id)) continue;
        const view = await api((client) => client.get(execution.id), 5_000).catch(() => null);
        if (view && isTerminal(view.status)) terminal.set(execution.id, view.status);
      }
    }
    if (timer) clearTimeout(timer);
  } finally {
    finished = true;
    watcher.stop();
    // Every service up again before the checks and the next run.
    await Promise.all(busy.values());
    for (const service of services) if (!service.running) await guard(service.name, () => service.start());
  }

  // The stream may trail the API by a moment: give it time to catch up before it is judged.
  await sleep(3_000);
  const accounts = new Map<Label, OrchestratorAccount | null>();
  for (const [label, execution] of executions) {
    const view = await api((client) => client.get(execution.id), 30_000).catch(() => null);
    accounts.set(
      label,
      view && {
        statusReason: view.statusReason,
        failed: view.instances
          .filter((i) => i.status === 'FAILED')
          .map((i) => ({ name: i.name, error: i.error })),
      },
    );
  }
  const outcomes = SPECS.map((spec) => {
    const execution = executions.get(spec.label) as UpgradeExecutionView;
    const fleet = fleets.get(spec.label) as Fleet;
    const expectation: ExecutionExpectation = {
      executionId: execution.id,
      label: spec.label,
      expectedStatus: spec.expected,
      fromVersion: FROM_VERSION,
      toVersion: TO_VERSION,
      outOfServiceBudget: maxUnavailable(n, OUT_OF_SERVICE_PERCENT),
      agentsStoppedByHarness: kills.filter((k) => k.kind === 'agent' && k.target.startsWith(`${spec.label}-`))
        .length,
    };
    return {
      label: spec.label,
      account: accounts.get(spec.label) ?? null,
      expectation,
      finalStatus: terminal.get(execution.id) ?? null,
      fleet: {
        instances: fleet.instances.map((i) => ({
          name: i.name,
          version: i.version,
          upgradesApplied: i.counters.upgradesApplied,
          rollbacksApplied: i.counters.rollbacksApplied,
          staleCalls: staleAppliedCalls(i.appliedCalls).length,
        })),
        maxOutOfService: fleet.outOfServiceHistory().max,
      },
    };
  });
  for (const fleet of fleets.values()) await fleet.stop();

  settleZones();
  const ids = new Set([...executions.values()].map((e) => e.id));
  const violations = [
    ...outcomes.flatMap(checkExecution),
    ...checkProgressStream(observer.recordsOf(ids)),
    ...checkDeadLetters([...observer.deadLetters.splice(0), ...observer.unreadable.splice(0)]),
    ...checkZoneCoverage(kills),
  ];
  return { plan, kills, executions: outcomes, violations, unplannedExits, wallMs: Date.now() - runStart };

  /** Fires the plan's zone kills, the agent stop and the canary's promotion as progress events arrive. */
  function watchZones(): { stop: () => void } {
    const pending = new Map<WatchedZone, PlannedKill>();
    for (const planned of plan.kills)
      if ('zone' in planned.trigger) pending.set(planned.trigger.zone, planned);
    // The canary is promoted once the kill in CANARY_MONITORING is over and the monitor reported twice since.
    let canaryKillOver = !pending.has('canary-monitoring');
    let canaryReportsAfterKill = 0;
    let promoted = false;
    const trigger = (zone: WatchedZone, executionId: string, batch: number | null) => {
      const planned = pending.get(zone);
      if (!planned || finished) return;
      pending.delete(zone);
      const over = fire(planned, zone, executionId, batch);
      if (zone === 'canary-monitoring')
        void over.then(() => {
          canaryKillOver = true;
          canaryReportsAfterKill = 0;
        });
    };
    const onEvent = ({ event }: ObservedProgress) => {
      const label = labelOf.get(event.executionid);
      if (!label || finished) return;
      const data = event.data;
      if (data.kind === 'ExecutionStatusChanged') {
        if (data.to === ExecutionStatus.VALIDATING) trigger('validating', event.executionid, null);
        if (data.to === ExecutionStatus.ROLLING_BACK && label === 'failing')
          trigger('rolling-back', event.executionid, null);
        if (data.to === ExecutionStatus.CANARY_MONITORING && label === 'canary')
          trigger('canary-monitoring', event.executionid, null);
        if (isTerminal(data.to)) terminal.set(event.executionid, data.to);
      }
      if (data.kind === 'BatchStarted' && label === 'rolling' && data.batch === plan.midBatch) {
        trigger('mid-batch', event.executionid, data.batch);
        stopAgent(data.instanceIds, event.executionid, data.batch);
      }
      if (data.kind === 'CanaryHealthReported' && label === 'canary' && !promoted) {
        if (canaryKillOver) canaryReportsAfterKill += 1;
        if (canaryReportsAfterKill >= 2) {
          promoted = true;
          void api((client) => client.operate(event.executionid, 'promote-canary')).then(
            () => log(`canary promoted at +${Date.now() - runStart} ms`),
            (error: unknown) => {
              promoted = false;
              log(`! promote-canary failed (tried again at the next report): ${String(error)}`);
            },
          );
        }
      }
    };
    const off = observer.on(onEvent);
    return { stop: off };
  }

  function stopAgent(instanceIds: string[], executionId: string, batch: number): void {
    if (kills.some((kill) => kill.kind === 'agent') || busy.has('agent')) return;
    busy.set('agent', Promise.resolve());
    const name = instanceNames.get(instanceIds[plan.agentStop.positionInBatch % instanceIds.length] ?? '');
    const fleet = fleets.get('rolling');
    if (!name || !fleet) return;
    void guard(`agent ${name}`, async () => {
      const killedAt = Date.now();
      await fetch(`${fleet.baseUrl}/admin/instances/${encodeURIComponent(name)}/crash`, { method: 'POST' });
      kills.push(newKill('agent', name, 'mid-batch', killedAt, plan.agentStop.downMs, executionId, batch));
      await sleep(plan.agentStop.downMs);
      await fetch(`${fleet.baseUrl}/admin/instances/${encodeURIComponent(name)}/restart`, { method: 'POST' });
    });
  }

  /** A zone kill landed inside when the event closing its zone was committed after it (or never came). */
  function settleZones(): void {
    for (const kill of kills) {
      if (kill.zone === null || kill.zone === 'commit-publish' || kill.zoneExecution === null) continue;
      const events = observer.progress.filter((p) => p.record.executionId === kill.zoneExecution);
      const closing = events.find(({ event }) => {
        const data = event.data;
        switch (kill.zone) {
          case 'mid-batch':
            return data.kind === 'BatchCompleted' && data.batch === kill.batch;
          case 'validating':
            return data.kind === 'ExecutionStatusChanged' && data.from === ExecutionStatus.VALIDATING;
          case 'rolling-back':
            return data.kind === 'ExecutionStatusChanged' && data.from === ExecutionStatus.ROLLING_BACK;
          case 'canary-monitoring':
            return data.kind === 'ExecutionStatusChanged' && data.from === ExecutionStatus.CANARY_MONITORING;
          default:
            return false;
        }
      });
      kill.landedInside = closing === undefined || Date.parse(closing.record.time) > kill.killedAt;
    }
  }
}
