import { randomBytes } from 'crypto';
import type { Kafka } from 'kafkajs';
import { createKafka } from '@upshift/messaging';
import {
  createTestDatabase,
  createTestRedis,
  eventually,
  startTestBroker,
  TEST_JWT_SECRET,
  testToken,
} from '@upshift/testing';
import type { TestBroker, TestDatabase, TestRedis } from '@upshift/testing';
import { masterKeyring, type UpgradeExecutionView } from '@upshift/contracts';
import { freePort, startServiceProcess, waitUntilReady, type ServiceProcess } from '@upshift/stack';
import { createOrchestratorApp } from '../../src/main';
import type { OrchestratorApp } from '../../src/main';
import type { OrchestratorConfig } from '../../src/config';
import { AgentFleet } from './agent-fleet';
import { ProgressWatcher } from './progress-watcher';
import { TestWorker } from './test-worker';

/**
 * Every stack this test file started. A `beforeAll` that times out leaves its boot running, and the
 * file's own `afterAll` never got the stack to stop: once the boot settles, the registry process, the
 * broker and the app would keep the Jest worker alive. This hook, registered at the root of every file
 * that imports the stack, runs after the file's own hooks and stops whatever a boot left behind.
 */
const bootsOfThisFile: { stack: TestStack; booted: Promise<void> }[] = [];
afterAll(async () => {
  for (const { stack, booted } of bootsOfThisFile.splice(0)) {
    await booted;
    if (!stack.stopped) await stack.stop();
  }
}, 120_000);

/** The registry this stack runs: its own process, as in production (an app never imports another's source). */
export interface TestRegistry {
  /** Base URL, e.g. http://127.0.0.1:40123 (API under `${url}/api/v1/registry`). */
  readonly url: string;
  readonly process: ServiceProcess;
}

/**
 * Everything an orchestrator e2e test runs against, all real: its own Postgres database and Redis
 * prefix, the embedded Kafka broker, the registry (a child process, started while the orchestrator app
 * boots in-process; ADR 0063), an in-test agent fleet, the test worker (over Kafka) and a progress
 * consumer.
 */
export class TestStack {
  db!: TestDatabase;
  redis!: TestRedis;
  broker!: TestBroker;
  brokers!: string;
  kafka!: Kafka;
  registry!: TestRegistry;
  orchestrator!: OrchestratorApp;
  /** This stack's AGENT_AUTH_KEY: the orchestrator signs with it, the agent fleet verifies (ADR 0071). */
  readonly agentAuthKey = randomBytes(32).toString('hex');
  agents = new AgentFleet(masterKeyring(Buffer.from(this.agentAuthKey, 'hex')));
  worker!: TestWorker;
  progress!: ProgressWatcher;
  /** An admin of every tenant: what `request` sends unless told otherwise. */
  adminToken = '';

  static async start(label: string, overrides: Partial<OrchestratorConfig> = {}): Promise<TestStack> {
    const stack = new TestStack();
    const booted = stack.boot(label, overrides);
    bootsOfThisFile.push({
      stack,
      booted: booted.then(
        () => undefined,
        () => undefined,
      ),
    });
    try {
      await booted;
    } catch (error) {
      await stack.stop();
      throw error;
    }
    return stack;
  }

  private async boot(label: string, overrides: Partial<OrchestratorConfig>): Promise<void> {
    // The registry process needs only the database and the broker: it starts first, the rest meanwhile.
    this.db = await createTestDatabase(label);
    this.broker = await startTestBroker({ label });
    this.brokers = this.broker.address;
    this.kafka = createKafka({ clientId: `test-${label}`, brokers: [this.brokers] });
    const registryPort = await freePort();
    const registryUrl = `http://127.0.0.1:${registryPort}`;
    const registry = startServiceProcess('registry', 'apps/registry/src/main.ts', {
      PORT: String(registryPort),
      DATABASE_URL: this.db.url,
      KAFKA_BROKERS: this.brokers,
      LOG_LEVEL: 'warn',
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
    });
    this.registry = { url: registryUrl, process: registry };
    this.redis = await createTestRedis(label);
    this.adminToken = await testToken({ sub: 'test-admin', audience: overrides.AUTH_AUDIENCE || undefined });
    // The registry's process start (Node, SWC, Nest) overlaps the orchestrator's in-process boot; the
    // orchestrator reaches the registry only when a request or an event needs it. Settled, not raced:
    // when one fails, stop() must find whatever else did start.
    const started = await Promise.allSettled([
      this.startOrchestrator(overrides).then((app) => (this.orchestrator = app)),
      waitUntilReady(`${registryUrl}/health/ready`, registry),
      this.agents.start(),
    ]);
    const failure = started.find((result) => result.status === 'rejected');
    if (failure) throw failure.reason;
    this.worker = new TestWorker(this.kafka);
    await this.worker.start();
    this.progress = new ProgressWatcher(this.kafka);
    await this.progress.start();
  }

  startOrchestrator(overrides: Partial<OrchestratorConfig> = {}): Promise<OrchestratorApp> {
    return createOrchestratorApp({
      PORT: 0,
      HOST: '127.0.0.1',
      DATABASE_URL: this.db.url,
      REDIS_URL: this.redis.url,
      QUEUE_PREFIX: this.redis.prefix,
      KAFKA_BROKERS: this.brokers,
      REGISTRY_URL: this.registry.url,
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      AGENT_AUTH_KEY: this.agentAuthKey,
      LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'silent',
      CANARY_MONITOR_TICK_MS: 200,
      HEALTH_DEADLINE_MARGIN_SECONDS: 1,
      ...overrides,
    });
  }

  get api(): string {
    return `${this.orchestrator.url}/api/v1/registry`;
  }

  /**
   * One request to the orchestrator's base URL, as an admin unless `headers` carries its own
   * `authorization` (an empty one sends none).
   */
  async request<T = unknown>(
    method: string,
    pathname: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: T; contentType: string; headers: Headers }> {
    const { authorization = `Bearer ${this.adminToken}`, ...rest } = headers;
    const sent: Record<string, string> = authorization === '' ? rest : { ...rest, authorization };
    const res = await fetch(`${this.api}${pathname}`, {
      method,
      headers: body === undefined ? sent : { 'content-type': 'application/json', ...sent },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: (text ? JSON.parse(text) : null) as T,
      contentType: res.headers.get('content-type') ?? '',
      headers: res.headers,
    };
  }

  async execution(id: string): Promise<UpgradeExecutionView> {
    const res = await this.request<UpgradeExecutionView>('GET', `/upgrades/${id}`);
    if (res.status !== 200) throw new Error(`GET execution ${id} answered ${res.status}`);
    return res.body;
  }

  /** Waits until the execution reaches `status` (or fails naming the status it is stuck in). */
  async waitForStatus(id: string, status: string, timeoutMs = 20_000): Promise<UpgradeExecutionView> {
    let last = '';
    try {
      return await eventually(
        async () => {
          const view = await this.execution(id);
          last = view.status;
          return view.status === status ? view : undefined;
        },
        { timeoutMs, intervalMs: 50, what: `execution ${id} to reach ${status}` },
      );
    } catch (error) {
      throw new Error(`${(error as Error).message} (last status ${last})`);
    }
  }

  /** True once stop() has begun (it is safe to call again, but not needed). */
  stopped = false;

  async stop(): Promise<void> {
    this.stopped = true;
    await this.progress?.stop().catch(() => undefined);
    await this.worker?.stop().catch(() => undefined);
    await this.orchestrator?.close().catch(() => undefined);
    await this.registry?.process.stop().catch(() => undefined);
    await this.agents.stop();
    await this.broker?.stop().catch(() => undefined);
    await this.redis?.cleanup().catch(() => undefined);
    await this.db?.drop().catch(() => undefined);
  }
}
