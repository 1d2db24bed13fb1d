import { ExecutionStatus, type UpgradeExecutionView } from '@upshift/contracts';
import { eventually } from '@upshift/testing';
import { OrchestratorClient, ProgressFollower, startStack, type Stack } from '@upshift/stack';

jest.setTimeout(300_000);

const INSTANCES = 8;
/** Each test upgrades the fleet from the version it runs to the next one on this path. */
const NEXT_VERSION: Record<string, string> = {
  '2.1.0': '2.2.0',
  '2.2.0': '2.2.2',
  '2.2.2': '3.0.0',
  '3.0.0': '3.1.0',
  '3.1.0': '3.1.1',
};
const TERMINAL = new Set<string>([
  ExecutionStatus.COMPLETED,
  ExecutionStatus.FAILED,
  ExecutionStatus.ROLLED_BACK,
  ExecutionStatus.CANCELLED,
]);

/**
 * The orchestrator killed with SIGKILL at chosen moments (docs/invariants.md, promises 2 and 6): at a
 * crash point between a commit and its publication (docs/adr/0083-chaos-harness-and-crash-points.md),
 * with a batch in flight, and during ROLLING_BACK. Each time it is started again on the same database,
 * Redis and broker, and the execution must end as an undisturbed run ends, each instance upgraded (or
 * rolled back) once as the fleet itself counted, the progress stream without a gap and without a
 * sequence published twice with different content.
 */
describe('the orchestrator killed with SIGKILL mid-run (e2e)', () => {
  let stack: Stack;
  let client: OrchestratorClient;
  let progress: ProgressFollower;

  beforeAll(async () => {
    stack = await startStack({
      label: 'crash',
      workers: 1,
      workerConcurrency: 16,
      fleet: {
        instances: INSTANCES,
        initialVersion: '2.1.0',
        latency: {
          default: { kind: 'uniform', minMs: 5, maxMs: 20 },
          upgrade: { kind: 'uniform', minMs: 300, maxMs: 600 },
          rollback: { kind: 'uniform', minMs: 300, maxMs: 600 },
        },
      },
    });
    client = new OrchestratorClient(stack.baseUrl, stack.operatorToken);
    progress = new ProgressFollower(stack.brokers);
    await progress.start();
  });

  afterAll(async () => {
    await progress?.stop();
    await stack?.stop();
  });

  beforeEach(() => {
    stack.fleet.setFaults({});
    stack.fleet.resetOutOfServiceHistory();
  });

  /** An upgrade of the whole fleet from the version it runs now (every test leaves it on one version). */
  function request(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const from = fleetVersion();
    const to = NEXT_VERSION[from];
    if (to === undefined) throw new Error(`no next version after ${from}`);
    return {
      componentId: stack.componentId,
      fromVersionId: stack.versionId(from),
      toVersionId: stack.versionId(to),
      strategy: 'ROLLING',
      batchSize: 2,
      batchDelaySeconds: 0,
      healthCheckIntervalSeconds: 1,
      healthCheckTimeoutSeconds: 5,
      maxUnavailablePercentage: 25,
      totalInstances: INSTANCES,
      autoRollbackEnabled: true,
      failureThreshold: 1,
      initiatedBy: 'crash@upshift.test',
      installedComponents: { kafka: '3.6.0', postgresql: '16.1.0' },
      ...overrides,
    };
  }

  function fleetVersion(): string {
    const versions = new Set(stack.fleet.instances.map((i) => i.version));
    const [only] = versions;
    if (versions.size !== 1 || only === undefined)
      throw new Error(`the fleet runs ${[...versions].join(', ')}`);
    return only;
  }

  function counters(): Map<string, { upgrades: number; rollbacks: number }> {
    return new Map(
      stack.fleet.instances.map((i) => [
        i.name,
        { upgrades: i.counters.upgradesApplied, rollbacks: i.counters.rollbacksApplied },
      ]),
    );
  }

  function changesSince(
    before: Map<string, { upgrades: number; rollbacks: number }>,
  ): [string, number, number][] {
    return [...counters()].map(([name, now]) => [
      name,
      now.upgrades - (before.get(name)?.upgrades ?? 0),
      now.rollbacks - (before.get(name)?.rollbacks ?? 0),
    ]);
  }

  async function finished(id: string): Promise<UpgradeExecutionView> {
    const view = await eventually(
      async () => {
        const current = await client.get(id);
        return TERMINAL.has(current.status) ? current : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 250, what: `execution ${id} to end` },
    );
    await stack.inventoryMatchesFleet();
    return view;
  }

  /** Resolves once a progress event of the execution satisfies `match` (or one already has). */
  async function eventSeen(id: string, what: string, match: (kind: string) => boolean): Promise<void> {
    await eventually(() => (progress.eventsOf(id).some((e) => match(e.data.kind)) ? true : undefined), {
      timeoutMs: 120_000,
      intervalMs: 5,
      what,
    });
  }

  function expectCleanStream(id: string): void {
    expect(progress.gaps.filter((g) => g.executionId === id)).toEqual([]);
    expect(progress.conflicts.filter((c) => c.executionId === id)).toEqual([]);
  }

  it.each([
    // Committed rows not yet on Kafka: the new process publishes them.
    ['outbox.before-publish', 'between committing outbox rows and publishing them'],
    // Rows on Kafka but not marked published: the new process publishes them again (same content).
    ['outbox.after-publish', 'between publishing outbox rows and marking them published'],
  ])('dies at the crash point %s (%s) and finishes COMPLETED after a restart', async (point) => {
    await stack.restartOrchestrator({ UPSHIFT_CRASH_POINT: `${point}:4` });
    const crashed = stack.orchestrator;
    const before = counters();
    const created = await client.create(stack.tenantId, request());
    await client.operate(created.id, 'start').catch(() => undefined); // the answer may be lost with the process
    await crashed.exited;
    expect(crashed.child.signalCode).toBe('SIGKILL');
    expect(crashed.tail()).toContain(`crash point ${point} reached`);

    await stack.restartOrchestrator({ UPSHIFT_CRASH_POINT: '' });
    if ((await client.get(created.id)).status === ExecutionStatus.PENDING) {
      // The crash came before the start was committed: an operator starts it again.
      await client.operate(created.id, 'start');
    }
    const view = await finished(created.id);

    expect(view.status).toBe(ExecutionStatus.COMPLETED);
    expect(view.completedInstances).toBe(INSTANCES);
    expect(changesSince(before)).toEqual(stack.fleet.instances.map((i) => [i.name, 1, 0]));
    expect(stack.fleet.outOfServiceHistory().max).toBeLessThanOrEqual(2);
    expectCleanStream(created.id);
  });

  it('dies with a batch in flight and finishes COMPLETED after a restart', async () => {
    const before = counters();
    const created = await client.create(stack.tenantId, request());
    await client.operate(created.id, 'start');
    const batchEvents = (kind: string) => progress.eventsOf(created.id).filter((e) => e.data.kind === kind);
    await eventSeen(created.id, 'the second batch to start', () => batchEvents('BatchStarted').length >= 2);
    // The kill comes with the second batch in flight (an upgrade takes the fleet 300–600 ms).
    const completedAtKill = batchEvents('BatchCompleted').length;
    await stack.restartOrchestrator();
    expect(completedAtKill).toBeLessThan(2);
    const view = await finished(created.id);

    expect(view.status).toBe(ExecutionStatus.COMPLETED);
    expect(changesSince(before)).toEqual(stack.fleet.instances.map((i) => [i.name, 1, 0]));
    expect(stack.fleet.outOfServiceHistory().max).toBeLessThanOrEqual(2);
    expectCleanStream(created.id);
  });

  it('dies during ROLLING_BACK and finishes ROLLED_BACK after a restart, each instance rolled back once', async () => {
    const names = stack.fleet.instances.map((i) => i.name);
    const before = counters();
    // A batch delay leaves time to make the instances after the first batch fail their health checks.
    const from = fleetVersion();
    const created = await client.create(stack.tenantId, request({ batchDelaySeconds: 3 }));
    await client.operate(created.id, 'start');
    await eventSeen(created.id, 'the first batch to complete', (kind) => kind === 'BatchCompleted');
    const upgradedFirst = stack.fleet.instances.filter((i) => i.version !== from).map((i) => i.name);
    stack.fleet.setFaults({
      unhealthyAfterUpgrade: { instances: names.filter((n) => !upgradedFirst.includes(n)) },
    });
    await eventSeen(created.id, 'the rollback to start', (kind) => kind === 'RollbackStarted');
    // The kill comes with ROLLBACK commands in flight (a rollback takes the fleet 300–600 ms).
    const rollbackEndedAtKill = progress
      .eventsOf(created.id)
      .some((e) => e.data.kind === 'RollbackCompleted');
    await stack.restartOrchestrator();
    expect(rollbackEndedAtKill).toBe(false);
    const view = await finished(created.id);

    expect(view.status).toBe(ExecutionStatus.ROLLED_BACK);
    for (const [name, upgrades, rollbacks] of changesSince(before)) {
      // Upgraded at most once; rolled back once exactly when it had been upgraded.
      expect([name, upgrades <= 1, rollbacks]).toEqual([name, true, upgrades]);
    }
    expect(stack.fleet.instances.every((i) => i.version === from && !i.outOfService)).toBe(true);
    expectCleanStream(created.id);
  });
});
