import { randomUUID } from 'crypto';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import {
  DeadLetterSchema,
  ExecutionStatus,
  parseEnvelope,
  Topics,
  type UpgradeExecutionView,
} from '@upshift/contracts';
import { eventually } from '@upshift/testing';
import { OrchestratorClient, ProgressFollower, startStack, type Stack } from '@upshift/stack';

jest.setTimeout(300_000);

const TERMINAL = new Set<string>([
  ExecutionStatus.COMPLETED,
  ExecutionStatus.FAILED,
  ExecutionStatus.ROLLED_BACK,
  ExecutionStatus.CANCELLED,
]);
const INSTANCES = 20;
const DUPLICATE_HEADER = 'x-upshift-test-duplicate';

/**
 * Everything real: embedded broker, Postgres, Redis, the registry and orchestrator processes, worker
 * processes, the simulated fleet. The fleet, not the orchestrator, is the witness for maxUnavailable
 * and "upgraded once".
 */
describe('upgrades end to end', () => {
  let stack: Stack;
  let client: OrchestratorClient;
  let progress: ProgressFollower;
  let kafka: Kafka;
  let producer: Producer;
  let duplicator: Consumer | null = null;

  beforeAll(async () => {
    stack = await startStack({
      label: 'e2e',
      workers: 2,
      workerConcurrency: 16,
      workerEnv: {
        WORKER_LEASE_TTL_MS: '3000',
        WORKER_SESSION_TIMEOUT_MS: '6000',
        WORKER_SHUTDOWN_GRACE_MS: '3000',
      },
      orchestratorEnv: { CANARY_MONITOR_TICK_MS: '250' },
      fleet: {
        instances: INSTANCES,
        initialVersion: '2.1.0',
        latency: {
          default: { kind: 'uniform', minMs: 5, maxMs: 30 },
          upgrade: { kind: 'uniform', minMs: 100, maxMs: 300 },
        },
      },
    });
    client = new OrchestratorClient(stack.baseUrl, stack.operatorToken);
    progress = new ProgressFollower(stack.brokers);
    await progress.start();
    kafka = new Kafka({ clientId: 'e2e-test', brokers: stack.brokers, logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
  });

  afterAll(async () => {
    await duplicator?.disconnect();
    await producer?.disconnect();
    await progress?.stop();
    await stack?.stop();
  });

  beforeEach(() => {
    stack.fleet.setFaults({});
    stack.fleet.resetOutOfServiceHistory();
  });

  function request(
    from: string,
    to: string,
    overrides: Record<string, unknown> = {},
  ): Record<string, unknown> {
    return {
      componentId: stack.componentId,
      fromVersionId: stack.versionId(from),
      toVersionId: stack.versionId(to),
      strategy: 'ROLLING',
      batchSize: 5,
      batchDelaySeconds: 0,
      healthCheckIntervalSeconds: 1,
      healthCheckTimeoutSeconds: 5,
      maxUnavailablePercentage: 20,
      totalInstances: INSTANCES,
      autoRollbackEnabled: true,
      failureThreshold: 2,
      initiatedBy: 'e2e@upshift.test',
      installedComponents: { kafka: '3.6.0', postgresql: '16.1.0' },
      ...overrides,
    };
  }

  async function runToEnd(
    body: Record<string, unknown>,
    during?: (id: string) => Promise<void>,
  ): Promise<UpgradeExecutionView> {
    const created = await client.create(stack.tenantId, body);
    await client.operate(created.id, 'start');
    await during?.(created.id);
    const view = await eventually(
      async () => {
        const current = await client.get(created.id);
        return TERMINAL.has(current.status) ? current : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 250, what: `execution ${created.id} to end` },
    );
    // The next test selects its instances from the registry's inventory (ADR 0033: it catches up just after).
    await stack.inventoryMatchesFleet();
    return view;
  }

  function upgradesApplied(): Map<string, number> {
    return new Map(stack.fleet.instances.map((i) => [i.name, i.counters.upgradesApplied]));
  }

  function totalUpgradesApplied(): number {
    return stack.fleet.instances.reduce((sum, i) => sum + i.counters.upgradesApplied, 0);
  }

  function expectEachUpgradedOnce(before: Map<string, number>): void {
    for (const [name, count] of upgradesApplied()) {
      expect([name, count - (before.get(name) ?? 0)]).toEqual([name, 1]);
    }
  }

  function batchSizes(executionId: string): number[] {
    return progress
      .eventsOf(executionId)
      .flatMap((e) => (e.data.kind === 'BatchStarted' ? [e.data.instanceIds.length] : []));
  }

  /** Resolves when the execution's first batch has settled: with a batch delay, nothing is in flight then. */
  async function firstBatchCompleted(executionId: string): Promise<void> {
    await eventually(
      () => (progress.eventsOf(executionId).some((e) => e.data.kind === 'BatchCompleted') ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 10, what: `the first batch of ${executionId} to complete` },
    );
  }

  async function fleetAtRest(): Promise<void> {
    await eventually(
      () =>
        stack.fleet.instances.every((i) => !i.outOfService && i.pendingOperations === 0) ? true : undefined,
      { timeoutMs: 30_000, what: 'no instance out of service or busy' },
    );
  }

  it('ROLLING to COMPLETED with every command delivered twice: each instance upgraded once, maxUnavailable never exceeded, progress gap-free', async () => {
    // A second copy of every command, as a redelivery after a rebalance would produce.
    duplicator = kafka.consumer({ groupId: `e2e-duplicator-${randomUUID()}` });
    await duplicator.connect();
    await duplicator.subscribe({ topic: Topics.COMMANDS, fromBeginning: false });
    let duplicated = 0;
    await duplicator.run({
      eachMessage: async ({ message }) => {
        if (message.headers?.[DUPLICATE_HEADER]) return;
        await producer.send({
          topic: Topics.COMMANDS,
          messages: [{ key: message.key, value: message.value, headers: { [DUPLICATE_HEADER]: '1' } }],
        });
        duplicated += 1;
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 2000)); // the duplicator joins its group
    const before = upgradesApplied();
    const view = await runToEnd(request('2.1.0', '2.2.0'));
    await duplicator.disconnect();
    duplicator = null;

    expect(view.status).toBe(ExecutionStatus.COMPLETED);
    expect(view.completedInstances).toBe(INSTANCES);
    // One UPGRADE per instance (ADR 0081), each delivered a second time.
    expect(duplicated).toBeGreaterThanOrEqual(INSTANCES);
    const after = upgradesApplied();
    for (const [name, count] of after) expect([name, count - (before.get(name) ?? 0)]).toEqual([name, 1]);
    expect(stack.fleet.instances.every((i) => i.version === '2.2.0' && !i.outOfService)).toBe(true);
    // maxUnavailable = floor(20 × 20 / 100) = 4, as the fleet itself counted it.
    expect(stack.fleet.outOfServiceHistory().max).toBeLessThanOrEqual(4);
    expect(progress.gaps.filter((g) => g.executionId === view.id)).toEqual([]);
    expect(progress.eventsOf(view.id).length).toBeGreaterThan(INSTANCES * 3);
  });

  it('CANARY promoted to COMPLETED although a worker is killed with SIGKILL mid-run', async () => {
    const view = await runToEnd(
      request('2.2.0', '2.2.2', { strategy: 'CANARY', canaryPercentage: 10 }),
      async (id) => {
        await eventually(
          () => (stack.fleet.instances.some((i) => i.upgrading || i.draining) ? true : undefined),
          {
            timeoutMs: 60_000,
            intervalMs: 10,
            what: 'the canary batch to start',
          },
        );
        const victim = stack.workers[0];
        await victim?.kill();
        await stack.startWorker('worker-replacement');
        await eventually(
          async () =>
            (await client.get(id)).status === ExecutionStatus.CANARY_MONITORING ? true : undefined,
          { timeoutMs: 120_000, intervalMs: 250, what: 'CANARY_MONITORING' },
        );
        await client.operate(id, 'promote-canary');
      },
    );
    expect(view.status).toBe(ExecutionStatus.COMPLETED);
    expect(stack.fleet.instances.every((i) => i.version === '2.2.2')).toBe(true);
    expect(stack.fleet.outOfServiceHistory().max).toBeLessThanOrEqual(4);
  });

  it('a failing canary is rolled back automatically to ROLLED_BACK and the fleet is back on its version', async () => {
    const names = stack.fleet.instances.map((i) => i.name);
    stack.fleet.setFaults({ unhealthyAfterUpgrade: { instances: names.slice(0, 2) } });
    const view = await runToEnd(
      request('2.2.2', '3.0.0', { strategy: 'CANARY', canaryPercentage: 10, failureThreshold: 1 }),
    );
    expect(view.status).toBe(ExecutionStatus.ROLLED_BACK);
    expect(view.rollbackInfo?.rollbackInitiatedBy).toBe('system:auto-rollback');
    expect(stack.fleet.instances.every((i) => i.version === '2.2.2' && !i.outOfService)).toBe(true);
  });

  it('a manual rollback mid-run (POST /rollback?reason=…) reverts the upgraded instances to ROLLED_BACK', async () => {
    const reason = 'e2e: operator saw elevated error rates';
    const view = await runToEnd(request('2.2.2', '3.0.0', { batchDelaySeconds: 2 }), async (id) => {
      await firstBatchCompleted(id);
      const rolling = await client.operate(id, 'rollback', `?reason=${encodeURIComponent(reason)}`);
      expect([ExecutionStatus.ROLLING_BACK, ExecutionStatus.ROLLED_BACK]).toContain(rolling.status);
    });
    expect(view.status).toBe(ExecutionStatus.ROLLED_BACK);
    expect(view.rollbackInfo).toMatchObject({
      rollbackReason: reason,
      rollbackInitiatedBy: `operator@${stack.tenantId}`,
    });
    expect(view.rollbackInfo?.rollbackInitiatedAt).toEqual(expect.any(String));
    // At least the first batch (4 instances) had the new version and was reverted; nothing else started.
    expect(view.rollbackInfo?.rolledBackInstances.length).toBeGreaterThanOrEqual(4);
    expect(view.completedInstances).toBeLessThan(INSTANCES);
    await fleetAtRest();
    expect(stack.fleet.instances.every((i) => i.version === '2.2.2')).toBe(true);
    expect(stack.fleet.outOfServiceHistory().max).toBeLessThanOrEqual(4);
  });

  it('BLUE_GREEN to COMPLETED: slices of at most half the fleet and the budget, each instance upgraded once', async () => {
    const before = upgradesApplied();
    const view = await runToEnd(request('2.2.2', '3.0.0', { strategy: 'BLUE_GREEN' }));
    expect(view.status).toBe(ExecutionStatus.COMPLETED);
    expect(view.completedInstances).toBe(INSTANCES);
    expectEachUpgradedOnce(before);
    // min(half of 20, maxUnavailable 4) = 4 per slice.
    expect(batchSizes(view.id)).toEqual([4, 4, 4, 4, 4]);
    expect(stack.fleet.instances.every((i) => i.version === '3.0.0' && !i.outOfService)).toBe(true);
    expect(stack.fleet.outOfServiceHistory().max).toBeLessThanOrEqual(4);
  });

  it('RECREATE to COMPLETED: as many at once as the budget allows, no more', async () => {
    const before = upgradesApplied();
    const view = await runToEnd(
      request('3.0.0', '3.1.0', { strategy: 'RECREATE', batchSize: 1, maxUnavailablePercentage: 50 }),
    );
    expect(view.status).toBe(ExecutionStatus.COMPLETED);
    expectEachUpgradedOnce(before);
    // batchSize is ignored; the budget is floor(20 × 50 / 100) = 10.
    expect(batchSizes(view.id)).toEqual([10, 10]);
    expect(stack.fleet.instances.every((i) => i.version === '3.1.0' && !i.outOfService)).toBe(true);
    expect(stack.fleet.outOfServiceHistory().max).toBeLessThanOrEqual(10);
  });

  it('STAGED to COMPLETED: one instance at a time, PAUSED after each stage until POST /resume approves the next', async () => {
    const before = upgradesApplied();
    const stagePauses: number[] = [];
    const view = await runToEnd(
      request('3.1.0', '3.1.1', { strategy: 'STAGED', batchSize: 10 }),
      async (id) => {
        for (;;) {
          const current = await eventually(
            async () => {
              const v = await client.get(id);
              return v.status === ExecutionStatus.PAUSED || TERMINAL.has(v.status) ? v : undefined;
            },
            { timeoutMs: 120_000, intervalMs: 100, what: 'a stage to finish' },
          );
          if (current.status !== ExecutionStatus.PAUSED) return;
          stagePauses.push(current.completedInstances);
          await client.operate(id, 'resume');
        }
      },
    );
    expect(view.status).toBe(ExecutionStatus.COMPLETED);
    expect(stagePauses).toEqual([10]); // two stages of 10: one approval between them
    expectEachUpgradedOnce(before);
    expect(batchSizes(view.id).every((size) => size === 1)).toBe(true);
    expect(stack.fleet.outOfServiceHistory().max).toBe(1);
  });

  it('pause mid-run holds every new batch; resume finishes with each instance upgraded once', async () => {
    const before = upgradesApplied();
    const view = await runToEnd(
      request('3.1.1', '3.1.0', { batchDelaySeconds: 2 }), // a permitted downgrade
      async (id) => {
        await firstBatchCompleted(id);
        expect((await client.operate(id, 'pause')).status).toBe(ExecutionStatus.PAUSED);
        await fleetAtRest();
        const appliedAtPause = totalUpgradesApplied();
        const batchesAtPause = batchSizes(id).length;
        // Longer than the batch delay: a running execution would have started its next batch by now.
        await new Promise((resolve) => setTimeout(resolve, 4000));
        expect((await client.get(id)).status).toBe(ExecutionStatus.PAUSED);
        expect(totalUpgradesApplied()).toBe(appliedAtPause);
        expect(batchSizes(id).length).toBe(batchesAtPause);
        expect(appliedAtPause - [...before.values()].reduce((a, b) => a + b, 0)).toBeLessThan(INSTANCES);
        expect((await client.operate(id, 'resume')).status).toBe(ExecutionStatus.IN_PROGRESS);
      },
    );
    expect(view.status).toBe(ExecutionStatus.COMPLETED);
    expectEachUpgradedOnce(before);
    expect(stack.fleet.instances.every((i) => i.version === '3.1.0' && !i.outOfService)).toBe(true);
    expect(stack.fleet.outOfServiceHistory().max).toBeLessThanOrEqual(4);
  });

  it('cancel mid-run ends CANCELLED at once and starts nothing more; nothing is reverted', async () => {
    const view = await runToEnd(request('3.1.0', '3.1.1', { batchDelaySeconds: 2 }), async (id) => {
      await firstBatchCompleted(id);
      expect((await client.operate(id, 'cancel')).status).toBe(ExecutionStatus.CANCELLED);
    });
    expect(view.status).toBe(ExecutionStatus.CANCELLED);
    await fleetAtRest();
    const upgraded = stack.fleet.instances.filter((i) => i.version === '3.1.1').length;
    await new Promise((resolve) => setTimeout(resolve, 3000)); // longer than the batch delay
    expect(stack.fleet.instances.filter((i) => i.version === '3.1.1').length).toBe(upgraded);
    expect(upgraded).toBeGreaterThanOrEqual(4);
    expect(upgraded).toBeLessThan(INSTANCES);
    expect(stack.fleet.instances.every((i) => !i.outOfService)).toBe(true);
    expect((await client.get(view.id)).completedInstances).toBe(upgraded);
  });

  it('a poison command lands in upgrade.dlq with the error', async () => {
    const key = `poison-${randomUUID()}`;
    await producer.send({
      topic: Topics.COMMANDS,
      messages: [{ key, value: '{"specversion":"1.0","data":42}' }],
    });
    const letters: ReturnType<typeof parseEnvelope<typeof DeadLetterSchema>>[] = [];
    const reader = kafka.consumer({ groupId: `e2e-dlq-${randomUUID()}` });
    await reader.connect();
    await reader.subscribe({ topic: Topics.DLQ, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => void letters.push(parseEnvelope(message.value, DeadLetterSchema)),
    });
    try {
      const letter = await eventually(() => letters.find((l) => l.data.key === key), {
        timeoutMs: 30_000,
        what: 'the dead letter',
      });
      expect(letter.data).toMatchObject({ originalTopic: Topics.COMMANDS, consumerGroup: 'upshift-workers' });
      expect(letter.data.error.problems.length).toBeGreaterThan(0);
    } finally {
      await reader.disconnect();
    }
  });
});
