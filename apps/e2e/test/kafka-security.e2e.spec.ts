import { readFileSync } from 'fs';
import { Kafka, logLevel } from 'kafkajs';
import { ExecutionStatus } from '@upshift/contracts';
import { kafkaSecurityFromEnv } from '@upshift/messaging';
import { eventually } from '@upshift/testing';
import { OrchestratorClient, ProgressFollower, startStack, type Stack } from '@upshift/stack';

jest.setTimeout(300_000);

const INSTANCES = 6;

/**
 * The whole stack against a secured broker (SCRAM-SHA-512 over TLS, ADR 0070): the registry, the
 * orchestrator and the workers authenticate with the KAFKA_* variables the stack hands them, and an
 * upgrade runs to COMPLETED through it. A client without credentials gets nothing.
 */
describe('upgrades over a SASL_SSL (SCRAM-SHA-512) broker', () => {
  let stack: Stack;
  let client: OrchestratorClient;
  let progress: ProgressFollower;

  beforeAll(async () => {
    stack = await startStack({
      label: 'e2e_kafka_tls',
      secureKafka: true,
      workers: 2,
      workerConcurrency: 8,
      fleet: {
        instances: INSTANCES,
        initialVersion: '2.1.0',
        latency: { default: { kind: 'uniform', minMs: 5, maxMs: 20 } },
      },
    });
    client = new OrchestratorClient(stack.baseUrl, stack.operatorToken);
    progress = new ProgressFollower(stack.brokers, kafkaSecurityFromEnv(stack.kafkaEnv));
    await progress.start();
  });

  afterAll(async () => {
    await progress?.stop();
    await stack?.stop();
  });

  it('gave every service SCRAM-SHA-512 over TLS', () => {
    expect(stack.kafkaEnv).toEqual(
      expect.objectContaining({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SSL: 'true' }),
    );
  });

  it('runs an upgrade to COMPLETED, every instance upgraded once, progress gap-free', async () => {
    const created = await client.create(stack.tenantId, {
      componentId: stack.componentId,
      fromVersionId: stack.versionId('2.1.0'),
      toVersionId: stack.versionId('2.2.0'),
      strategy: 'ROLLING',
      batchSize: 3,
      batchDelaySeconds: 0,
      healthCheckIntervalSeconds: 1,
      healthCheckTimeoutSeconds: 5,
      maxUnavailablePercentage: 50,
      totalInstances: INSTANCES,
      autoRollbackEnabled: true,
      failureThreshold: 2,
      initiatedBy: 'e2e@upshift.test',
      installedComponents: { kafka: '3.6.0', postgresql: '16.1.0' },
    });
    await client.operate(created.id, 'start');
    // Commands, results and progress all crossed the secured broker for this to happen.
    await expect(progress.terminalStatus(created.id)).resolves.toBe(ExecutionStatus.COMPLETED);
    const view = await eventually(
      async () => {
        const current = await client.get(created.id);
        return current.status === ExecutionStatus.COMPLETED ? current : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, what: `execution ${created.id} to read COMPLETED` },
    );
    expect(view.status).toBe(ExecutionStatus.COMPLETED);
    expect(stack.fleet.instances.map((i) => [i.name, i.version, i.counters.upgradesApplied])).toEqual(
      stack.fleet.instances.map((i) => [i.name, '2.2.0', 1]),
    );
    expect(progress.gaps).toEqual([]);
    // The registry's relay published through the secured broker too: the inventory follows the fleet.
    await stack.inventoryMatchesFleet();
  });

  it('refuses a kafkajs client without credentials, with a wrong password, or without TLS', async () => {
    const ca = readFileSync(stack.kafkaEnv['KAFKA_CA_FILE']);
    const attempt = async (config: Partial<ConstructorParameters<typeof Kafka>[0]>): Promise<unknown> => {
      const admin = new Kafka({
        clientId: 'e2e-intruder',
        brokers: stack.brokers,
        logLevel: logLevel.NOTHING,
        connectionTimeout: 3_000,
        retry: { retries: 0 },
        ...config,
      }).admin();
      try {
        await admin.connect();
        return await admin.listTopics();
      } finally {
        await admin.disconnect();
      }
    };
    // TLS but no SASL: ApiVersions is answered, Metadata closes the connection.
    await expect(attempt({ ssl: { ca } })).rejects.toThrow();
    await expect(
      attempt({ ssl: { ca }, sasl: { mechanism: 'scram-sha-512', username: 'upshift', password: 'guess' } }),
    ).rejects.toThrow(/authentication failed/i);
    await expect(attempt({})).rejects.toThrow();
    // The same client with the stack's credentials gets in: the refusals above are about credentials.
    await expect(attempt(kafkaSecurityFromEnv(stack.kafkaEnv))).resolves.toEqual(
      expect.arrayContaining(['upgrade.progress']),
    );
  });
});
