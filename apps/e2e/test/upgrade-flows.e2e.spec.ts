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
import { OrchestratorClient, ProgressFollower, startStack, type Stack } from '../src';

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
    client = new OrchestratorClient(stack.baseUrl);
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
    return eventually(
      async () => {
        const view = await client.get(created.id);
        return TERMINAL.has(view.status) ? view : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 250, what: `execution ${created.id} to end` },
    );
  }

  function upgradesApplied(): Map<string, number> {
    return new Map(stack.fleet.instances.map((i) => [i.name, i.counters.upgradesApplied]));
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
    expect(duplicated).toBeGreaterThanOrEqual(INSTANCES * 3);
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
