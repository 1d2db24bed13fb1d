/**
 * `npm run up`: the local stack on one machine.
 *
 * - the embedded Kafka broker on 127.0.0.1:9092 (skipped when KAFKA_BROKERS is set), so that
 *   dashboards and `kcat -b 127.0.0.1:9092 -L` can attach;
 * - the `upshift` database on the local Postgres (created when missing);
 * - the registry and the orchestrator as child processes, each awaited on its health endpoint;
 * - the demo catalog loaded into the registry (idempotent: a re-run reuses what is there), signed with
 *   the key kept in .data/seed/, its artifacts served by the simulated fleet;
 * - the workers (UP_WORKERS, default 2) and a simulated fleet (UP_FLEET_INSTANCES, default 20, agents
 *   on FLEET_PORT, default 8090) registered for tenant 550e8400 at upshift-gateway 2.1.0;
 * - everything stopped cleanly, in reverse order, on Ctrl-C or SIGTERM.
 *
 * The orchestrator forwards the registry's paths, so http://localhost:8084 serves both REST APIs.
 */
import { spawn } from 'child_process';
import type { ChildProcess } from 'child_process';
import * as path from 'path';
import { Client } from 'pg';
import { startBroker } from '@upshift/kafka-broker';
import type { RunningBroker } from '@upshift/kafka-broker';
import { seedRegistry } from '../apps/registry/src/seed/seed-registry';

const root = path.resolve(__dirname, '..');
const env = process.env;
const DATABASE_URL = env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/upshift';
const REDIS_URL = env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const KAFKA_BROKERS = env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';
const REGISTRY_PORT = Number(env['REGISTRY_PORT'] ?? 8085);
const ORCHESTRATOR_PORT = Number(env['ORCHESTRATOR_PORT'] ?? 8084);
const FLEET_PORT = Number(env['FLEET_PORT'] ?? 8090);
const WORKERS = Number(env['UP_WORKERS'] ?? 2);
const FLEET_INSTANCES = Number(env['UP_FLEET_INSTANCES'] ?? 20);
const DEMO_TENANT = '550e8400';
const DEMO_COMPONENT = 'upshift-gateway';
const FLEET_VERSION = '2.1.0';

export interface LocalService {
  name: string;
  /** Entry file relative to the repository root, run with `node -r @swc-node/register`. */
  entry: string;
  env: Record<string, string>;
  /** Polled until it answers 2xx before the next service starts; omit for services without HTTP. */
  readyUrl?: string;
  /** Printed in the summary. */
  describe: string;
}

/** The stack's services, started in this order and stopped in the reverse. */
export const SERVICES: LocalService[] = [
  {
    name: 'registry',
    entry: 'apps/registry/src/main.ts',
    env: { PORT: String(REGISTRY_PORT), DATABASE_URL, KAFKA_BROKERS },
    readyUrl: `http://127.0.0.1:${REGISTRY_PORT}/health/live`,
    describe: `http://localhost:${REGISTRY_PORT}/api/v1/registry (docs /api/docs)`,
  },
  {
    name: 'orchestrator',
    entry: 'apps/orchestrator/src/main.ts',
    env: {
      PORT: String(ORCHESTRATOR_PORT),
      DATABASE_URL,
      REDIS_URL,
      KAFKA_BROKERS,
      REGISTRY_URL: `http://127.0.0.1:${REGISTRY_PORT}`,
    },
    readyUrl: `http://127.0.0.1:${ORCHESTRATOR_PORT}/health/ready`,
    describe: `http://localhost:${ORCHESTRATOR_PORT}/api/v1/registry (both APIs; docs /api/docs)`,
  },
];

/** What the catalog seeding hands to the services started after it. */
interface SeededCatalog {
  componentId: string;
  versionId: string;
  publicKeyPem: string;
}

/** The services that need the seeded catalog: the workers, then the fleet that registers itself. */
function fleetServices(catalog: SeededCatalog): LocalService[] {
  const workers = Array.from({ length: WORKERS }, (_, index): LocalService => {
    const id = `worker-${index + 1}`;
    return {
      name: id,
      entry: 'apps/worker/src/main.ts',
      env: { KAFKA_BROKERS, REDIS_URL, WORKER_ID: id },
      describe: 'consumer group upshift-workers on upgrade.commands',
    };
  });
  const fleet: LocalService = {
    name: 'fleet-sim',
    entry: 'apps/fleet-sim/src/main.ts',
    env: {
      FLEET_INSTANCES: String(FLEET_INSTANCES),
      FLEET_PORT: String(FLEET_PORT),
      FLEET_INITIAL_VERSION: FLEET_VERSION,
      FLEET_TRUSTED_KEYS: catalog.publicKeyPem,
      REGISTRY_URL: `http://127.0.0.1:${REGISTRY_PORT}`,
      FLEET_TENANT_ID: DEMO_TENANT,
      FLEET_COMPONENT_ID: catalog.componentId,
      FLEET_VERSION_ID: catalog.versionId,
    },
    readyUrl: `http://127.0.0.1:${FLEET_PORT}/admin/instances`,
    describe: `${FLEET_INSTANCES} agents at http://localhost:${FLEET_PORT}/i/<name>, admin /admin`,
  };
  return [...workers, fleet];
}

async function seedCatalog(): Promise<SeededCatalog> {
  const seed = await seedRegistry({
    registryUrl: `http://127.0.0.1:${REGISTRY_PORT}`,
    keyFile: path.join(root, '.data', 'seed', 'artifact-signing.key'),
    artifactBaseUrl: `http://127.0.0.1:${FLEET_PORT}/artifacts`,
  });
  const gateway = seed.components[DEMO_COMPONENT];
  const version = gateway?.versions[FLEET_VERSION];
  if (!gateway || !version) throw new Error(`the demo catalog has no ${DEMO_COMPONENT} ${FLEET_VERSION}`);
  log('demo catalog loaded', {
    components: Object.keys(seed.components),
    tenant: DEMO_TENANT,
    componentId: gateway.id,
  });
  return { componentId: gateway.id, versionId: version.id, publicKeyPem: seed.publicKeyPem };
}

function log(msg: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ time: new Date().toISOString(), name: 'local-stack', msg, ...fields }));
}

async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${admin.host} (${(error as Error).message}); start it, e.g. ` +
        'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
    );
  }
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      log('database created', { database: name });
    }
  } finally {
    await client.end();
  }
}

async function waitUntilReady(service: LocalService, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  if (service.readyUrl === undefined) return;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`${service.name} exited with code ${child.exitCode} while starting`);
    try {
      const res = await fetch(service.readyUrl, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`${service.name} did not become ready at ${service.readyUrl} within ${timeoutMs / 1000}s`);
}

function stopChild(name: string, child: ChildProcess, timeoutMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => {
      log('service did not stop in time; killing it', { service: name });
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(kill);
      log('service stopped', { service: name });
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function main(): Promise<void> {
  const children: { name: string; child: ChildProcess }[] = [];
  let broker: RunningBroker | null = null;
  let stopping = false;

  const stopAll = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping the local stack');
    for (const { name, child } of [...children].reverse()) await stopChild(name, child);
    if (broker !== null) {
      await broker.stop();
      log('broker stopped');
    }
    process.exit(exitCode);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    await ensureDatabase(DATABASE_URL);
    if (env['KAFKA_BROKERS'] === undefined) {
      const dataDir = path.join(root, '.data', 'kafka');
      broker = await startBroker({ port: 9092, host: '127.0.0.1', dataDir, defaultPartitions: 3 });
      log('embedded Kafka broker listening', { address: broker.address, dataDir });
    } else {
      log('using the Kafka cluster in KAFKA_BROKERS', { brokers: KAFKA_BROKERS });
    }
    const start = async (service: LocalService) => {
      const child = spawn(process.execPath, ['-r', '@swc-node/register', service.entry], {
        cwd: root,
        env: { ...env, ...service.env },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      children.push({ name: service.name, child });
      child.once('exit', (code, signal) => {
        if (!stopping) {
          log('service exited unexpectedly; stopping the stack', { service: service.name, code, signal });
          void stopAll(1);
        }
      });
      await waitUntilReady(service, child);
      log('service ready', { service: service.name, pid: child.pid, url: service.describe });
    };
    for (const service of SERVICES) await start(service);
    const later = fleetServices(await seedCatalog());
    for (const service of later) await start(service);
    log('local stack up (Ctrl-C stops it)', {
      api: `http://localhost:${ORCHESTRATOR_PORT}/api/v1/registry`,
      tenant: DEMO_TENANT,
      kafka: KAFKA_BROKERS,
      postgres: DATABASE_URL.replace(/:[^:@/]*@/, ':***@'),
      redis: REDIS_URL,
      services: Object.fromEntries([...SERVICES, ...later].map((s) => [s.name, s.describe])),
    });
  } catch (error) {
    log('the local stack failed to start', { error: (error as Error).message });
    await stopAll(1);
  }
}

if (require.main === module) void main();
