import { createHash, randomBytes, randomUUID } from 'crypto';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import {
  masterKeyring,
  commandMessage,
  DeadLetterSchema,
  EventTypes,
  InstanceCommandResultSchema,
  InstanceCommandType,
  parseEnvelope,
  Topics,
  type DeadLetter,
  type InstanceCommand,
  type InstanceCommandResult,
} from '@upshift/contracts';
import { eventually } from '@upshift/testing';
import { loadWorkerConfig, type WorkerConfig } from '../src/config';
import { startWorker, type RunningWorker } from '../src/worker';
import { startFleet, type Fleet } from '@upshift/fleet';

export const TENANT = '550e8400';

/** This run's AGENT_AUTH_KEY: the workers sign with it, the test fleets verify with it (ADR 0071). */
export const AGENT_AUTH_KEY = randomBytes(32).toString('hex');
export const agentKeys = masterKeyring(Buffer.from(AGENT_AUTH_KEY, 'hex'));

export interface TestArtifact {
  url: string;
  bytes: Buffer;
  sha256: string;
}

export function testArtifact(version: string): TestArtifact {
  const bytes = Buffer.from(`worker test artifact ${version}\n`.repeat(32));
  return {
    url: `http://artifacts.test/app/${version}.tgz`,
    bytes,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

export const V2 = testArtifact('2.0.0');

export function memoryArtifacts(...artifacts: TestArtifact[]) {
  const byUrl = new Map(artifacts.map((a) => [a.url, a.bytes]));
  return async (url: string): Promise<Buffer> => {
    const bytes = byUrl.get(url);
    if (!bytes) throw new Error(`no artifact at ${url}`);
    return bytes;
  };
}

/** The worker suites' fleet: `instances` agents at 1.0.0 that trust the run's agent keys and serve V2. */
export function startTestFleet(instances: number): Promise<Fleet> {
  return startFleet({ agentKeys, instances, initialVersion: '1.0.0', artifactSource: memoryArtifacts(V2) });
}

export function workerConfig(
  brokers: string[],
  redisUrl: string,
  prefix: string,
  overrides: Record<string, string> = {},
): WorkerConfig {
  return loadWorkerConfig({
    KAFKA_BROKERS: brokers.join(','),
    REDIS_URL: redisUrl,
    WORKER_REDIS_PREFIX: prefix,
    WORKER_ID: `test-worker-${randomUUID().slice(0, 8)}`,
    WORKER_CONCURRENCY: '8',
    WORKER_LEASE_TTL_MS: '3000',
    WORKER_AGENT_TIMEOUT_MS: '2000',
    WORKER_RETRY_MAX_ATTEMPTS: '4',
    WORKER_RETRY_BASE_MS: '20',
    WORKER_RETRY_MAX_MS: '200',
    WORKER_SESSION_TIMEOUT_MS: '6000',
    WORKER_SHUTDOWN_GRACE_MS: '5000',
    // Several workers run in one test process: each probe server takes a free port.
    WORKER_HEALTH_PORT: '0',
    // Silent unless the person running the tests asks for a level (jest.setup.ts).
    LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'silent',
    AGENT_AUTH_KEY,
    ...overrides,
  });
}

export async function startTestWorker(config: WorkerConfig, groupId?: string): Promise<RunningWorker> {
  return startWorker(config, { groupId });
}

/** Every command built here gets a newer fencing token than the ones before, as the orchestrator issues them. */
let lastFencingToken = 0;
export function nextFencingToken(): number {
  lastFencingToken += 1;
  return lastFencingToken;
}

export function buildCommand(
  fleet: Fleet,
  name: string,
  type: InstanceCommandType,
  overrides: Partial<InstanceCommand> = {},
): InstanceCommand {
  const instance = fleet.instance(name);
  return {
    commandId: randomUUID(),
    executionId: overrides.executionId ?? randomUUID(),
    tenantId: TENANT,
    instanceId: instance.instanceId,
    instanceName: name,
    agentUrl: instance.agentUrl,
    type,
    fencingToken: nextFencingToken(),
    targetVersion: {
      versionId: '00000000-0000-4000-8000-000000000002',
      version: '2.0.0',
      artifact: { url: V2.url, sha256: V2.sha256, signature: null },
    },
    previousVersion: { versionId: '00000000-0000-4000-8000-000000000001', version: '1.0.0' },
    healthCheckIntervalSeconds: 1,
    healthCheckTimeoutSeconds: 3,
    attempt: 1,
    issuedAt: new Date().toISOString(),
    ...overrides,
  };
}

/** The test's own Kafka peer: sends commands, reads results and dead letters like the orchestrator would. */
export class KafkaPeer {
  readonly results: InstanceCommandResult[] = [];
  readonly deadLetters: DeadLetter[] = [];
  /** Messages sent to `upgrade.commands`, valid or not. */
  sent = 0;
  private readonly kafka: Kafka;
  private producer!: Producer;
  private consumer!: Consumer;

  constructor(brokers: string[]) {
    this.kafka = new Kafka({ clientId: 'worker-test-peer', brokers, logLevel: logLevel.NOTHING });
  }

  async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = [Topics.COMMANDS, Topics.RESULTS, Topics.DLQ].filter((t) => !existing.has(t));
    if (missing.length > 0)
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({ topic, numPartitions: 3 })),
      });
    await admin.disconnect();
    this.producer = this.kafka.producer();
    await this.producer.connect();
    this.consumer = this.kafka.consumer({
      groupId: `worker-test-peer-${randomUUID()}`,
      sessionTimeout: 6000,
      heartbeatInterval: 500,
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [Topics.RESULTS, Topics.DLQ], fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ topic, message }) => {
        if (topic === Topics.RESULTS) {
          this.results.push(
            parseEnvelope(message.value, InstanceCommandResultSchema, { type: EventTypes.RESULT }).data,
          );
        } else {
          this.deadLetters.push(parseEnvelope(message.value, DeadLetterSchema).data);
        }
      },
    });
  }

  async send(command: InstanceCommand): Promise<void> {
    const message = commandMessage(command);
    await this.producer.send({
      topic: message.topic,
      messages: [{ key: message.key, value: JSON.stringify(message.value) }],
    });
    this.sent += 1;
  }

  async sendMany(commands: InstanceCommand[]): Promise<void> {
    for (let i = 0; i < commands.length; i += 500) {
      const messages = commands.slice(i, i + 500).map((command) => {
        const message = commandMessage(command);
        return { key: message.key, value: JSON.stringify(message.value) };
      });
      await this.producer.send({ topic: Topics.COMMANDS, messages });
      this.sent += messages.length;
    }
  }

  async sendRaw(key: string, value: string | Buffer): Promise<void> {
    await this.producer.send({ topic: Topics.COMMANDS, messages: [{ key, value }] });
    this.sent += 1;
  }

  /** Every report on the command so far, in the order they arrived (step reports, final, replays). */
  resultsFor(commandId: string): InstanceCommandResult[] {
    return this.results.filter((r) => r.commandId === commandId);
  }

  /** The command's first final report. */
  async resultOf(commandId: string, timeoutMs = 20_000): Promise<InstanceCommandResult> {
    return eventually(() => this.resultsFor(commandId).find((r) => r.final), {
      timeoutMs,
      what: `the final report of command ${commandId}`,
    });
  }

  /** The reports up to and including the command's first final one, once it arrived. */
  async reportsUntilFinal(commandId: string, timeoutMs = 20_000): Promise<InstanceCommandResult[]> {
    await this.resultOf(commandId, timeoutMs);
    const reports = this.resultsFor(commandId);
    return reports.slice(0, reports.findIndex((r) => r.final) + 1);
  }

  async committedOffset(groupId: string, topic: string): Promise<number> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    } finally {
      await admin.disconnect();
    }
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
    await this.producer.disconnect();
  }
}
