import { randomBytes } from 'crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import Redis from 'ioredis';
import { Client } from 'pg';
import {
  createDevCertificates,
  startBroker,
  startBrokerMetricsServer,
  type RunningBroker,
} from '@upshift/kafka-broker';
import { mintToken } from '@upshift/http';
import { masterKeyring, type AgentKeyring } from '@upshift/contracts';
import { fetchAllPages, startFleet, type Fleet, type FleetOptions } from '@upshift/fleet';
import { seedRegistry, type SeedResult } from '@upshift/demo-catalog';
import { freePort, startServiceProcess, waitUntilReady, type ServiceProcess } from './local-services';

export const DEMO_TENANT = '550e8400';
export const DEMO_COMPONENT = 'upshift-gateway';

export interface StackOptions {
  /** A label for the run's database and key prefixes, e.g. `demo`, `bench`, `e2e`. */
  label: string;
  /** Admin connection (the run creates and drops its own database): DATABASE_URL or the local default. */
  adminDatabaseUrl?: string;
  redisUrl?: string;
  workers?: number;
  workerConcurrency?: number;
  workerEnv?: Record<string, string>;
  orchestratorEnv?: Record<string, string>;
  /**
   * Run the broker with SCRAM-SHA-512 over TLS (SASL_SSL, a CA made for the run) and hand every service
   * the matching KAFKA_* variables, as against a secured cluster (ADR 0070).
   */
  secureKafka?: boolean;
  /** Serve the broker's GET /metrics on a free port (`brokerMetricsUrl`). */
  brokerMetrics?: boolean;
  /** The fleet (registered for `tenantId` at `initialVersion` of the demo catalog's gateway). */
  fleet: Omit<FleetOptions, 'registration' | 'initialVersion' | 'agentKeys'> & { initialVersion: string };
  tenantId?: string;
  logLevel?: string;
  /** Echo services' output to stderr (debugging). */
  echo?: boolean;
  /** Progress lines ("registry ready", …). */
  log?: (line: string) => void;
}

export interface Stack {
  /** The one base URL (the orchestrator, proxying registry paths). */
  readonly baseUrl: string;
  readonly registryUrl: string;
  readonly brokers: string[];
  /** The broker's metrics, http://…/metrics, when `brokerMetrics` asked for them; else null. */
  readonly brokerMetricsUrl: string | null;
  /** The KAFKA_* security variables the services got (empty unless `secureKafka`), for kafkaSecurityFromEnv. */
  readonly kafkaEnv: Record<string, string>;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  /** The HS256 secret the services verify tokens with, made for this run. */
  readonly authSecret: string;
  /** An admin of every tenant (catalog writes). */
  readonly adminToken: string;
  /** An operator of `tenantId` only: what a tenant's REST client holds. */
  readonly operatorToken: string;
  readonly fleet: Fleet;
  /** The run's agent keys (AGENT_AUTH_KEY, ADR 0071): what another fleet the workers call must verify with. */
  readonly agentKeys: AgentKeyring;
  readonly seed: SeedResult;
  readonly tenantId: string;
  readonly componentId: string;
  versionId(version: string): string;
  readonly workers: ServiceProcess[];
  /** The orchestrator process running now (a new one after `restartOrchestrator`). */
  readonly orchestrator: ServiceProcess;
  readonly registry: ServiceProcess;
  /**
   * Resolves once the registry's inventory lists every fleet instance at the version the fleet runs.
   * The orchestrator records new versions just after an execution's state changes (ADR 0033), so a
   * script that posts the next upgrade of the same instances waits for this first.
   */
  inventoryMatchesFleet(timeoutMs?: number): Promise<void>;
  /** Starts one more worker process (e.g. after killing one). */
  startWorker(id: string): Promise<ServiceProcess>;
  /**
   * Stops the orchestrator if it still runs (SIGKILL: a crash, not a shutdown) and starts it again on
   * the same port and database with the same environment, `env` overriding it (e.g. to drop a crash
   * point); resolves once it is ready.
   */
  restartOrchestrator(env?: Record<string, string>): Promise<ServiceProcess>;
  /** Stops everything it started, drops its database and Redis keys. Safe to call twice. */
  stop(): Promise<void>;
}

const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Starts the whole Upshift stack for a demo, a benchmark or an E2E test, isolated from anything else on
 * the machine: an embedded broker on a free port, a fresh database, its own Redis prefixes, the registry
 * and orchestrator and N workers as processes (as `npm run start:*` starts them), and a simulated fleet
 * registered in the registry after the demo catalog is seeded.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const log = options.log ?? (() => undefined);
  const runId = `${options.label}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const adminUrl = options.adminDatabaseUrl ?? process.env['DATABASE_URL'] ?? DEFAULT_ADMIN_URL;
  const redisUrl = options.redisUrl ?? process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const logLevel = options.logLevel ?? 'warn';
  const tenantId = options.tenantId ?? DEMO_TENANT;
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) =>
        log(`cleanup step failed: ${error instanceof Error ? error.message : String(error)}`),
      );
    }
  };

  try {
    await checkRedis(redisUrl);
    const databaseUrl = await createDatabase(adminUrl, `upshift_${runId}`);
    cleanups.push(() => dropDatabase(adminUrl, databaseUrl));
    const queuePrefix = `upshift-${runId}`;
    const workerPrefix = `upshift-${runId}:worker`;
    cleanups.push(() => deleteKeys(redisUrl, `upshift-${runId}*`));

    const dataDir = mkdtempSync(join(tmpdir(), `upshift-${options.label}-broker-`));
    const secured = options.secureKafka ? prepareSecureKafka(options.label) : null;
    if (secured) cleanups.push(async () => rmSync(secured.dir, { recursive: true, force: true }));
    const kafkaEnv = secured?.env ?? {};
    const broker: RunningBroker = await startBroker({ port: 0, dataDir, ...secured?.broker });
    cleanups.push(async () => {
      await broker.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });
    const brokers = [broker.address];
    const brokerMetrics = options.brokerMetrics
      ? await startBrokerMetricsServer(broker.traffic, { port: 0 })
      : null;
    if (brokerMetrics) cleanups.push(() => brokerMetrics.close());
    log(`broker on ${broker.address}`);

    const authSecret = randomBytes(32).toString('base64url');
    // The run's AGENT_AUTH_KEY: workers and the orchestrator sign agent requests, the fleet verifies.
    const agentAuthKey = randomBytes(32).toString('hex');
    const adminToken = await mintToken({
      secret: authSecret,
      sub: 'stack-admin',
      tenants: ['*'],
      roles: ['admin'],
      ttlSeconds: 24 * 3600,
    });
    const operatorToken = await mintToken({
      secret: authSecret,
      sub: `operator@${tenantId}`,
      tenants: [tenantId],
      roles: ['operator'],
      ttlSeconds: 24 * 3600,
    });
    const registryPort = await freePort();
    const registryUrl = `http://127.0.0.1:${registryPort}`;
    const registry = startServiceProcess(
      'registry',
      'apps/registry/src/main.ts',
      {
        PORT: String(registryPort),
        DATABASE_URL: databaseUrl,
        KAFKA_BROKERS: brokers.join(','),
        ...kafkaEnv,
        AUTH_JWT_SECRET: authSecret,
        LOG_LEVEL: logLevel,
      },
      { echo: options.echo },
    );
    cleanups.push(() => registry.stop());
    const orchestratorPort = await freePort();
    const baseUrl = `http://127.0.0.1:${orchestratorPort}`;
    const orchestratorEnv: Record<string, string> = {
      PORT: String(orchestratorPort),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      KAFKA_BROKERS: brokers.join(','),
      ...kafkaEnv,
      REGISTRY_URL: registryUrl,
      AUTH_JWT_SECRET: authSecret,
      AGENT_AUTH_KEY: agentAuthKey,
      QUEUE_PREFIX: queuePrefix,
      LOG_LEVEL: logLevel,
      ...options.orchestratorEnv,
    };
    const startOrchestrator = (env: Record<string, string>): ServiceProcess =>
      startServiceProcess('orchestrator', 'apps/orchestrator/src/main.ts', env, { echo: options.echo });
    let orchestrator = startOrchestrator(orchestratorEnv);
    cleanups.push(() => orchestrator.stop());
    const restartOrchestrator = async (env: Record<string, string> = {}): Promise<ServiceProcess> => {
      await orchestrator.kill();
      orchestrator = startOrchestrator({ ...orchestratorEnv, ...env });
      await waitUntilReady(`${baseUrl}/health/ready`, orchestrator);
      log(`orchestrator restarted on ${baseUrl}`);
      return orchestrator;
    };
    await Promise.all([
      waitUntilReady(`${registryUrl}/health/ready`, registry).then(() =>
        log(`registry ready on ${registryUrl}`),
      ),
      waitUntilReady(`${baseUrl}/health/ready`, orchestrator).then(() =>
        log(`orchestrator ready on ${baseUrl}`),
      ),
    ]);

    const agentKeys = masterKeyring(Buffer.from(agentAuthKey, 'hex'));
    const fleet = await startFleet({ ...options.fleet, agentKeys });
    cleanups.push(() => fleet.stop());
    const keyDir = mkdtempSync(join(tmpdir(), `upshift-${options.label}-keys-`));
    cleanups.push(async () => rmSync(keyDir, { recursive: true, force: true }));
    const seed = await seedRegistry({
      registryUrl,
      token: adminToken,
      artifactBaseUrl: fleet.artifactBaseUrl,
      keyFile: join(keyDir, 'artifact-signing.key'),
    });
    // No keys handed over here: fleet.register (below) trusts every key the registry holds (ADR 0073).
    const gateway = seed.components[DEMO_COMPONENT];
    if (!gateway) throw new Error(`the demo catalog has no component ${DEMO_COMPONENT}`);
    const versionId = (version: string): string => {
      const found = gateway.versions[version];
      if (!found) throw new Error(`the demo catalog has no ${DEMO_COMPONENT} ${version}`);
      return found.id;
    };
    log(`catalog seeded: ${Object.keys(seed.components).join(', ')}`);
    await fleet.register({
      registryUrl,
      token: operatorToken,
      tenantId,
      componentId: gateway.id,
      versionId: versionId(options.fleet.initialVersion),
      concurrency: 64,
    });
    log(
      `fleet of ${options.fleet.instances} registered for tenant ${tenantId} at ${DEMO_COMPONENT} ${options.fleet.initialVersion}`,
    );

    const workers: ServiceProcess[] = [];
    const startWorker = async (id: string): Promise<ServiceProcess> => {
      const worker = startServiceProcess(
        id,
        'apps/worker/src/main.ts',
        {
          KAFKA_BROKERS: brokers.join(','),
          ...kafkaEnv,
          REDIS_URL: redisUrl,
          WORKER_ID: id,
          WORKER_REDIS_PREFIX: workerPrefix,
          WORKER_CONCURRENCY: String(options.workerConcurrency ?? 64),
          // Several workers on one host: each health-probe server takes a free port.
          WORKER_HEALTH_PORT: '0',
          AGENT_AUTH_KEY: agentAuthKey,
          LOG_LEVEL: logLevel,
          ...options.workerEnv,
        },
        { echo: options.echo },
      );
      workers.push(worker);
      return worker;
    };
    cleanups.push(async () => {
      await Promise.all(workers.map((w) => w.stop()));
    });
    for (let i = 1; i <= (options.workers ?? 2); i += 1) await startWorker(`worker-${i}`);
    log(`${workers.length} workers started`);

    const inventoryMatchesFleet = async (timeoutMs = 30_000): Promise<void> => {
      // Every page (ADR 0076): a fleet may be larger than one.
      const url = `${registryUrl}/api/v1/registry/tenants/${tenantId}/instances?componentId=${gateway.id}&limit=500`;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const expected = new Map(fleet.instances.map((i) => [i.name, versionId(i.version)]));
        const listed = await fetchAllPages<{ name: string; versionId: string }>(
          url,
          operatorToken,
          'the fleet',
        ).catch(() => []);
        if (listed.length === expected.size && listed.every((i) => expected.get(i.name) === i.versionId))
          return;
        if (Date.now() > deadline) {
          throw new Error(`the registry's inventory did not match the fleet within ${timeoutMs} ms`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };

    return {
      baseUrl,
      registryUrl,
      inventoryMatchesFleet,
      brokers,
      brokerMetricsUrl: brokerMetrics?.url ?? null,
      kafkaEnv,
      databaseUrl,
      redisUrl,
      authSecret,
      adminToken,
      operatorToken,
      fleet,
      agentKeys,
      seed,
      tenantId,
      componentId: gateway.id,
      versionId,
      workers,
      get orchestrator() {
        return orchestrator;
      },
      registry,
      startWorker,
      restartOrchestrator,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * A CA and broker certificate (openssl), and one SCRAM user with a random password, in a temporary
 * directory: the broker's SASL_SSL options and the services' KAFKA_* variables that match them.
 */
function prepareSecureKafka(label: string): {
  dir: string;
  broker: { saslUsersFile: string; tls: { certFile: string; keyFile: string } };
  env: Record<string, string>;
} {
  const dir = mkdtempSync(join(tmpdir(), `upshift-${label}-kafka-tls-`));
  const certs = createDevCertificates(dir);
  const password = randomBytes(18).toString('base64url');
  const saslUsersFile = join(dir, 'kafka-users.txt');
  writeFileSync(saslUsersFile, `upshift:${password}\n`, { mode: 0o600 });
  return {
    dir,
    broker: { saslUsersFile, tls: { certFile: certs.certFile, keyFile: certs.keyFile } },
    env: {
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_USERNAME: 'upshift',
      KAFKA_PASSWORD: password,
      KAFKA_SSL: 'true',
      KAFKA_CA_FILE: certs.caFile,
    },
  };
}

async function checkRedis(url: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw new Error(
      `Redis is not reachable at ${url} (${error instanceof Error ? error.message : String(error)}); start it with: ` +
        'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
    );
  } finally {
    client.disconnect();
  }
}

async function deleteKeys(url: string, pattern: string): Promise<void> {
  const client = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    await client.quit();
  }
}

async function admin<T>(adminUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${adminUrl} (${error instanceof Error ? error.message : String(error)}); start it with: ` +
        'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
    );
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function createDatabase(adminUrl: string, name: string): Promise<string> {
  await admin(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabase(adminUrl: string, databaseUrl: string): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  await admin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}
