import { randomBytes } from 'crypto';
import { mkdirSync } from 'fs';
import { join } from 'path';
import { masterKeyring, type AgentKeyring } from '@upshift/contracts';
import { seedRegistry } from '@upshift/demo-catalog';
import { startFleet, type Fleet } from '@upshift/fleet';
import { mintToken } from '@upshift/http';
import { DEMO_COMPONENT, freePort } from '@upshift/stack';
import { brokerProcess, nodeService, PostgresCluster, redisProcess } from './infrastructure';
import type { SupervisedProcess } from './supervised-process';

export interface ChaosStackOptions {
  workDir: string;
  logLevel: string;
  /** UPSHIFT_CRASH_POINT of replicas 1 and 2 at their first start. */
  crashPoints: [string, string];
  log: (line: string) => void;
}

/**
 * The throw-away stack a chaos run kills parts of: its own Postgres cluster, redis-server and broker
 * process, the registry, two orchestrator replicas, two workers, all on free ports with data in
 * `workDir`; and a fleet with no instances that serves the demo catalog's artifacts for the run fleets.
 */
export interface ChaosStack {
  readonly workDir: string;
  readonly logDir: string;
  readonly postgres: PostgresCluster;
  readonly redis: SupervisedProcess;
  readonly broker: SupervisedProcess;
  readonly registry: SupervisedProcess;
  readonly orchestrators: [SupervisedProcess, SupervisedProcess];
  readonly workers: [SupervisedProcess, SupervisedProcess];
  readonly brokers: string[];
  readonly registryUrl: string;
  readonly orchestratorUrls: [string, string];
  readonly authSecret: string;
  readonly adminToken: string;
  readonly agentKeys: AgentKeyring;
  readonly componentId: string;
  versionId(version: string): string;
  stop(): Promise<void>;
}

/**
 * Timings shortened so that a run ends in CI time: a silent worker's partitions and leases move after
 * seconds. Everything else runs with the services' defaults, as operators run them.
 */
const WORKER_TUNING = {
  WORKER_SESSION_TIMEOUT_MS: '6000',
  WORKER_LEASE_TTL_MS: '5000',
  WORKER_CONCURRENCY: '64',
};

export async function startChaosStack(options: ChaosStackOptions): Promise<ChaosStack> {
  const { workDir, log } = options;
  const logDir = join(workDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = (name: string) => join(logDir, `${name}.log`);
  const [pgPort, redisPort, kafkaPort, registryPort, orch1Port, orch2Port, health1, health2] =
    await Promise.all(Array.from({ length: 8 }, () => freePort()));
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const step of stops.splice(0).reverse()) await step().catch(() => undefined);
  };
  try {
    const postgres = new PostgresCluster(join(workDir, 'postgres'), pgPort ?? 0, logFile('postgres'));
    mkdirSync(join(workDir, 'postgres'), { recursive: true });
    await postgres.init();
    await postgres.start();
    stops.push(() => postgres.stop());
    const databaseUrl = await postgres.createDatabase('upshift');
    log(`postgres on ${postgres.port} (data ${postgres.dataDir})`);

    const redis = redisProcess(join(workDir, 'redis'), redisPort ?? 0, logFile('redis'));
    await redis.start();
    stops.push(() => redis.stop());
    const redisUrl = `redis://127.0.0.1:${redisPort}`;
    const broker = brokerProcess(join(workDir, 'kafka'), kafkaPort ?? 0, logFile('broker'));
    await broker.start();
    stops.push(() => broker.stop());
    const brokers = [`127.0.0.1:${kafkaPort}`];
    log(`redis on ${redisPort} (append-only file), broker on ${kafkaPort}`);

    const authSecret = randomBytes(32).toString('base64url');
    const agentAuthKey = randomBytes(32).toString('hex');
    const adminToken = await mintToken({
      secret: authSecret,
      sub: 'chaos-admin',
      tenants: ['*'],
      roles: ['admin'],
      ttlSeconds: 24 * 3600,
    });
    const registryUrl = `http://127.0.0.1:${registryPort}`;
    const common = { KAFKA_BROKERS: brokers.join(','), LOG_LEVEL: options.logLevel };
    const registry = nodeService(
      'registry',
      'apps/registry/src/main.ts',
      () => ({
        ...common,
        PORT: String(registryPort),
        DATABASE_URL: databaseUrl,
        AUTH_JWT_SECRET: authSecret,
      }),
      `${registryUrl}/health/live`,
      logFile('registry'),
    );
    const orchestrator = (replica: 1 | 2, port: number) =>
      nodeService(
        replica === 1 ? 'orchestrator' : 'orchestrator-2',
        'apps/orchestrator/src/main.ts',
        () => ({
          ...common,
          PORT: String(port),
          HOST: '127.0.0.1',
          DATABASE_URL: databaseUrl,
          REDIS_URL: redisUrl,
          KAFKA_CLIENT_ID: `upshift-orchestrator-${replica}`,
          REGISTRY_URL: registryUrl,
          AUTH_JWT_SECRET: authSecret,
          AGENT_AUTH_KEY: agentAuthKey,
          QUEUE_PREFIX: 'chaos',
        }),
        `http://127.0.0.1:${port}/health/live`,
        logFile(replica === 1 ? 'orchestrator' : 'orchestrator-2'),
      );
    const orchestrators: [SupervisedProcess, SupervisedProcess] = [
      orchestrator(1, orch1Port ?? 0),
      orchestrator(2, orch2Port ?? 0),
    ];
    const worker = (index: 1 | 2, healthPort: number) =>
      nodeService(
        `worker-${index}`,
        'apps/worker/src/main.ts',
        () => ({
          ...common,
          ...WORKER_TUNING,
          REDIS_URL: redisUrl,
          WORKER_ID: `worker-${index}`,
          WORKER_REDIS_PREFIX: 'chaos:worker',
          WORKER_HEALTH_PORT: String(healthPort),
          AGENT_AUTH_KEY: agentAuthKey,
        }),
        `http://127.0.0.1:${healthPort}/health/live`,
        logFile(`worker-${index}`),
      );
    const workers: [SupervisedProcess, SupervisedProcess] = [
      worker(1, health1 ?? 0),
      worker(2, health2 ?? 0),
    ];
    for (const service of [registry, ...orchestrators, ...workers]) stops.push(() => service.stop());

    const startedAt = Date.now();
    // Replica 1 first: it runs the migrations; the others then boot side by side.
    await Promise.all([
      registry.start(),
      orchestrators[0].start({ UPSHIFT_CRASH_POINT: options.crashPoints[0] }),
    ]);
    await Promise.all([
      orchestrators[1].start({ UPSHIFT_CRASH_POINT: options.crashPoints[1] }),
      workers[0].start(),
      workers[1].start(),
    ]);
    log(`registry, 2 orchestrators, 2 workers up in ${Date.now() - startedAt} ms`);

    const agentKeys = masterKeyring(Buffer.from(agentAuthKey, 'hex'));
    // Serves the artifacts the catalog points at, for every run's fleets (which download from it).
    const artifacts: Fleet = await startFleet({ instances: 0, initialVersion: '0.0.0', agentKeys });
    stops.push(() => artifacts.stop());
    const seed = await seedRegistry({
      registryUrl,
      token: adminToken,
      artifactBaseUrl: artifacts.artifactBaseUrl,
      keyFile: join(workDir, 'artifact-signing.key'),
    });
    const gateway = seed.components[DEMO_COMPONENT];
    if (!gateway) throw new Error(`the demo catalog has no ${DEMO_COMPONENT}`);
    log('demo catalog seeded');

    return {
      workDir,
      logDir,
      postgres,
      redis,
      broker,
      registry,
      orchestrators,
      workers,
      brokers,
      registryUrl,
      orchestratorUrls: [`http://127.0.0.1:${orch1Port}`, `http://127.0.0.1:${orch2Port}`],
      authSecret,
      adminToken,
      agentKeys,
      componentId: gateway.id,
      versionId: (version) => {
        const found = gateway.versions[version];
        if (!found) throw new Error(`the demo catalog has no ${DEMO_COMPONENT} ${version}`);
        return found.id;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
