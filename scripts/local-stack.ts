/**
 * `npm run up`: the local stack on one machine.
 *
 * - the embedded Kafka broker on 127.0.0.1:9092 (skipped when KAFKA_BROKERS is set), so that
 *   dashboards and `kcat -b 127.0.0.1:9092 -L` can attach;
 * - the `upshift` database on the local Postgres (created when missing);
 * - the registry and the orchestrator as child processes, each awaited on its health endpoint; with
 *   UP_ORCHESTRATORS=2 a second orchestrator replica (UP_ORCHESTRATOR2_PORT, default ORCHESTRATOR_PORT + 2)
 *   on the same database, Redis and broker, serving the same paths; the replicas run active-active, so
 *   one of them dying is logged and the stack carries on with the other;
 * - the demo catalog loaded into the registry (idempotent: a re-run reuses what is there), signed with
 *   the key kept in .data/seed/, its artifacts served by the simulated fleet, which trusts every key the
 *   registry holds for the component: a database seeded by another checkout (another key) still works,
 *   and what cannot work (e.g. versions pointing at another fleet address) is reported loudly (ADR 0073);
 * - the workers (UP_WORKERS, default 2) and a simulated fleet (UP_FLEET_INSTANCES, default 20, agents
 *   on FLEET_PORT, default 8090) registered for tenant 550e8400 at upshift-gateway 2.1.0;
 * - once everything is up, each service's name, pid, port and log file in .data/stack.json (removed on a
 *   clean stop), so that a person or a test can kill one process by hand;
 * - everything stopped cleanly, in reverse order, on Ctrl-C or SIGTERM.
 *
 * Everything the launcher writes (tokens, stack.json, logs, the broker's data, the seed key) lives in
 * UP_DATA_DIR (default .data); with it, UP_KAFKA_PORT and the *_PORT variables a second stack can run
 * beside the first (the e2e suites do).
 *
 * The orchestrator forwards the registry's paths, so http://localhost:8084 serves both REST APIs.
 */
import { spawn } from 'child_process';
import type { ChildProcess } from 'child_process';
import { randomBytes } from 'crypto';
import { mkdirSync, rmSync, writeFileSync } from 'fs';
import * as path from 'path';
import { Client } from 'pg';
import { mintToken } from '@upshift/http';
import type { Role } from '@upshift/http';
import { startBroker } from '@upshift/kafka-broker';
import type { RunningBroker } from '@upshift/kafka-broker';
import { defineCli, runCli } from '@upshift/cli';
import {
  captureServiceLogs,
  formatBanner,
  formatLauncherEvent,
  formatServiceStarted,
  LOG_FORMATS,
  resolveLogFormat,
  serviceLogFile,
  type LogFormat,
} from '@upshift/testing';
import { seedRegistry } from '@upshift/demo-catalog';
import { DASHBOARD_DIR, ensureDashboardBuilt } from '@upshift/stack';

const root = path.resolve(__dirname, '..');
const env = process.env;
const DATABASE_URL = env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/upshift';
const REDIS_URL = env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
/** The embedded broker's port, when KAFKA_BROKERS is unset. */
const KAFKA_PORT = Number(env['UP_KAFKA_PORT'] ?? 9092);
const KAFKA_BROKERS = env['KAFKA_BROKERS'] ?? `127.0.0.1:${KAFKA_PORT}`;
const REGISTRY_PORT = Number(env['REGISTRY_PORT'] ?? 8085);
const ORCHESTRATOR_PORT = Number(env['ORCHESTRATOR_PORT'] ?? 8084);
/** The second orchestrator replica's port (UP_ORCHESTRATORS=2); 8086 by default, beside the registry's. */
const ORCHESTRATOR2_PORT = Number(env['UP_ORCHESTRATOR2_PORT'] ?? ORCHESTRATOR_PORT + 2);
const FLEET_PORT = Number(env['FLEET_PORT'] ?? 8090);
const DATA_DIR = path.resolve(root, env['UP_DATA_DIR'] || '.data');
const LOG_DIR = path.join(DATA_DIR, 'logs');
const DEMO_TENANT = '550e8400';
const DEMO_COMPONENT = 'upshift-gateway';
const FLEET_VERSION = '2.1.0';
/** Verifies bearer tokens (ADR 0074): the environment's, or one made for this run. */
const AUTH_JWT_SECRET = env['AUTH_JWT_SECRET'] || randomBytes(48).toString('base64url');
/** Where the session's tokens are written, for the README's curl lines (`jq -r .operatorToken`). */
const TOKENS_FILE = path.join(DATA_DIR, 'tokens.json');
/** Each service's pid and port while the stack is up, for killing one by hand (README, `jq … stack.json`). */
const STACK_FILE = path.join(DATA_DIR, 'stack.json');
/** Signs agent requests (ADR 0071): the environment's, or one made for this run (workers, orchestrator and fleet share it). */
const AGENT_AUTH_KEY = env['AGENT_AUTH_KEY'] || randomBytes(32).toString('hex');

const LOCAL_STACK_CLI = defineCli({
  command: 'npm run up --',
  summary:
    'The local stack: the embedded Kafka broker on 127.0.0.1:9092 (UP_KAFKA_PORT; not started when\n' +
    'KAFKA_BROKERS is set), the registry (REGISTRY_PORT, 8085), the orchestrator (ORCHESTRATOR_PORT, 8084;\n' +
    'a second replica on UP_ORCHESTRATOR2_PORT, 8086), the demo catalog, workers and a simulated fleet\n' +
    '(FLEET_PORT, 8090) for tenant 550e8400. Files go to UP_DATA_DIR (.data). Ctrl-C stops everything.',
  options: {
    orchestrators: {
      type: 'integer',
      default: 1,
      min: 1,
      max: 2,
      env: 'UP_ORCHESTRATORS',
      description: 'orchestrator replicas (active-active; the second on UP_ORCHESTRATOR2_PORT)',
    },
    workers: {
      type: 'integer',
      default: 2,
      min: 0,
      max: 64,
      env: 'UP_WORKERS',
      description: 'worker processes',
    },
    instances: {
      type: 'integer',
      default: 20,
      min: 0,
      max: 100_000,
      env: 'UP_FLEET_INSTANCES',
      description: 'simulated instances',
    },
    'log-format': {
      type: 'enum',
      values: LOG_FORMATS,
      env: 'LOG_FORMAT',
      description:
        "pretty: a line per service, services' logs in .data/logs/ (default on a terminal); json: all on stdout",
    },
  },
});
interface LocalStackOptions {
  orchestrators: number;
  workers: number;
  instances: number;
}
/** Set once by main() before anything is printed. */
let logFormat: LogFormat = 'json';

export interface LocalService {
  name: string;
  /** Entry file relative to the repository root, run with `node -r @swc-node/register`. */
  entry: string;
  env: Record<string, string>;
  /** Polled until it answers 2xx before the next service starts; omit for services without HTTP. */
  readyUrl?: string;
  /** Printed in the summary. */
  describe: string;
  /** The HTTP port it listens on, for .data/stack.json. */
  port?: number;
  /**
   * An orchestrator replica: its death is logged and the stack carries on while another replica
   * runs (they are active-active); any other service's death stops the stack.
   */
  replica?: boolean;
}

/**
 * Orchestrator replica `replica` (1-based): the first is `orchestrator` on ORCHESTRATOR_PORT, the second
 * `orchestrator-2` on ORCHESTRATOR2_PORT. Everything else is shared: the relay leadership is an advisory
 * lock in the one database and the results consumer group splits the partitions (ADR 0078); only the
 * Kafka client id differs, so that the broker's logs tell the replicas apart.
 */
function orchestratorService(replica: number, replicas: number): LocalService {
  const port = replica === 1 ? ORCHESTRATOR_PORT : ORCHESTRATOR2_PORT;
  const suffix = replica === 1 ? '' : `-${replica}`;
  return {
    name: `orchestrator${suffix}`,
    entry: 'apps/orchestrator/src/main.ts',
    env: {
      PORT: String(port),
      DATABASE_URL,
      REDIS_URL,
      KAFKA_BROKERS,
      KAFKA_CLIENT_ID: `upshift-orchestrator${suffix}`,
      REGISTRY_URL: `http://127.0.0.1:${REGISTRY_PORT}`,
      AUTH_JWT_SECRET,
      AGENT_AUTH_KEY,
    },
    readyUrl: `http://127.0.0.1:${port}/health/ready`,
    describe: `http://localhost:${port}/api/v1/registry (both APIs; docs /api/docs)`,
    port,
    replica: replicas > 1,
  };
}

/** The stack's services before the catalog is seeded, started in this order and stopped in the reverse. */
export function coreServices(options: Pick<LocalStackOptions, 'orchestrators'>): LocalService[] {
  return [
    {
      name: 'registry',
      entry: 'apps/registry/src/main.ts',
      env: { PORT: String(REGISTRY_PORT), DATABASE_URL, KAFKA_BROKERS, AUTH_JWT_SECRET },
      readyUrl: `http://127.0.0.1:${REGISTRY_PORT}/health/live`,
      describe: `http://localhost:${REGISTRY_PORT}/api/v1/registry (docs /api/docs)`,
      port: REGISTRY_PORT,
    },
    ...Array.from({ length: options.orchestrators }, (_, index) =>
      orchestratorService(index + 1, options.orchestrators),
    ),
  ];
}

/** What the catalog seeding hands to the services started after it. */
interface SeededCatalog {
  componentId: string;
  versionId: string;
}

/** The services that need the seeded catalog: the workers, then the fleet that registers itself. */
function fleetServices(
  catalog: SeededCatalog,
  options: LocalStackOptions,
  tokens: SessionTokens,
): LocalService[] {
  const workers = Array.from({ length: options.workers }, (_, index): LocalService => {
    const id = `worker-${index + 1}`;
    return {
      name: id,
      entry: 'apps/worker/src/main.ts',
      // Several workers on one host: each health-probe server takes a free port (it logs which).
      env: { KAFKA_BROKERS, REDIS_URL, WORKER_ID: id, AGENT_AUTH_KEY, WORKER_HEALTH_PORT: '0' },
      describe: 'consumer group upshift-workers on upgrade.commands',
    };
  });
  const fleet: LocalService = {
    name: 'fleet-sim',
    entry: 'apps/fleet-sim/src/main.ts',
    env: {
      FLEET_INSTANCES: String(options.instances),
      FLEET_PORT: String(FLEET_PORT),
      FLEET_INITIAL_VERSION: FLEET_VERSION,
      REGISTRY_URL: `http://127.0.0.1:${REGISTRY_PORT}`,
      FLEET_TENANT_ID: DEMO_TENANT,
      FLEET_COMPONENT_ID: catalog.componentId,
      FLEET_VERSION_ID: catalog.versionId,
      FLEET_REGISTRY_TOKEN: tokens.operatorToken,
      AGENT_AUTH_KEY,
    },
    readyUrl: `http://127.0.0.1:${FLEET_PORT}/admin/instances`,
    describe: `${options.instances} agents at http://localhost:${FLEET_PORT}/i/<name>, admin /admin`,
    port: FLEET_PORT,
  };
  return [...workers, fleet];
}

interface SessionTokens {
  adminToken: string;
  operatorToken: string;
}

/**
 * An admin token (every tenant) and an operator token for the demo tenant, signed with the session's
 * secret, written to .data/tokens.json (readable by this user only) so that the README's curl lines
 * can use them.
 */
async function mintSessionTokens(): Promise<SessionTokens> {
  const ttlSeconds = 12 * 3600;
  const mint = (sub: string, tenants: string[], roles: Role[]) =>
    mintToken({ secret: AUTH_JWT_SECRET, sub, tenants, roles, ttlSeconds });
  const tokens = {
    adminToken: await mint('local-admin', ['*'], ['admin']),
    operatorToken: await mint(`operator@${DEMO_TENANT}`, [DEMO_TENANT], ['operator']),
  };
  mkdirSync(path.dirname(TOKENS_FILE), { recursive: true });
  writeFileSync(
    TOKENS_FILE,
    `${JSON.stringify({ ...tokens, tenant: DEMO_TENANT, expiresAt: new Date(Date.now() + ttlSeconds * 1000).toISOString() }, null, 2)}\n`,
    { mode: 0o600 },
  );
  return tokens;
}

async function seedCatalog(tokens: SessionTokens): Promise<SeededCatalog> {
  const seed = await seedRegistry({
    registryUrl: `http://127.0.0.1:${REGISTRY_PORT}`,
    token: tokens.adminToken,
    keyFile: path.join(DATA_DIR, 'seed', 'artifact-signing.key'),
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
  reportCatalogInconsistencies(seed.inconsistencies);
  return { componentId: gateway.id, versionId: version.id };
}

/** The database holds a catalog this checkout's stack cannot serve: say so where nobody can miss it. */
function reportCatalogInconsistencies(problems: readonly string[]): void {
  if (problems.length === 0) return;
  const rule = '!'.repeat(100);
  console.error(
    [
      rule,
      `!! The database already held a demo catalog that this stack cannot fully serve (${problems.length} problem(s));`,
      '!! upgrades to these versions will fail. To start clean, stop the stack and drop the database',
      `!! (dropdb -h 127.0.0.1 -U postgres ${new URL(DATABASE_URL).pathname.slice(1)}) or set DATABASE_URL to a new one.`,
      ...problems.map((problem) => `!!   - ${problem}`),
      rule,
    ].join('\n'),
  );
  log('demo catalog inconsistent with this stack', { problems });
}

/** One event of the launcher: a JSON line, or in pretty mode `readable` (a generic line without it). */
function log(msg: string, fields: Record<string, unknown> = {}, readable?: string): void {
  if (logFormat === 'pretty') console.log(readable ?? formatLauncherEvent(msg, fields));
  else console.log(JSON.stringify({ time: new Date().toISOString(), name: 'local-stack', msg, ...fields }));
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

/** A started service, as .data/stack.json lists it. */
interface RunningService {
  name: string;
  child: ChildProcess;
  service: LocalService;
}

/**
 * .data/stack.json: every child process still running, with its pid, port and log file (null when
 * LOG_FORMAT=json sends the logs to stdout), keyed by service name. The embedded broker is no entry: it
 * runs inside the launcher (launcherPid), and killing that would orphan the children. Written once
 * everything is up, and again when a replica dies.
 */
function writeStackFile(running: RunningService[]): void {
  const stack = {
    launcherPid: process.pid,
    writtenAt: new Date().toISOString(),
    kafka: KAFKA_BROKERS,
    services: Object.fromEntries(
      running
        .filter(({ child }) => child.exitCode === null && child.signalCode === null)
        .map(({ name, child, service }) => [
          name,
          {
            name,
            pid: child.pid ?? null,
            port: service.port ?? null,
            logFile: logFormat === 'pretty' ? path.relative(root, serviceLogFile(LOG_DIR, name)) : null,
          },
        ]),
    ),
  };
  mkdirSync(path.dirname(STACK_FILE), { recursive: true });
  writeFileSync(STACK_FILE, `${JSON.stringify(stack, null, 2)}\n`);
}

async function main(): Promise<void> {
  // Before anything starts: --help and a wrong flag or variable end the process here.
  const { values: options } = runCli(LOCAL_STACK_CLI);
  logFormat = resolveLogFormat(options['log-format'], process.stdout.isTTY === true);
  const children: RunningService[] = [];
  let broker: RunningBroker | null = null;
  let stopping = false;
  let up = false;

  const stopAll = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping the local stack');
    // First: from here on the pids in it are going away.
    rmSync(STACK_FILE, { force: true });
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
      const dataDir = path.join(DATA_DIR, 'kafka');
      broker = await startBroker({ port: KAFKA_PORT, host: '127.0.0.1', dataDir, defaultPartitions: 3 });
      log(
        'embedded Kafka broker listening',
        { address: broker.address, dataDir },
        formatServiceStarted(
          'kafka',
          `${broker.address} (embedded, data in ${path.relative(root, dataDir)})`,
        ),
      );
    } else {
      log(
        'using the Kafka cluster in KAFKA_BROKERS',
        { brokers: KAFKA_BROKERS },
        formatServiceStarted('kafka', `${KAFKA_BROKERS} (KAFKA_BROKERS)`),
      );
    }
    const start = async (service: LocalService) => {
      const startedAt = Date.now();
      const child = spawn(process.execPath, ['-r', '@swc-node/register', service.entry], {
        cwd: root,
        env: { ...env, ...service.env },
        // Pretty: the children's JSON goes to .data/logs/<name>.log, their warnings and errors to the terminal.
        stdio: [
          'ignore',
          logFormat === 'pretty' ? 'pipe' : 'inherit',
          logFormat === 'pretty' ? 'pipe' : 'inherit',
        ],
      });
      if (logFormat === 'pretty')
        captureServiceLogs(child, service.name, LOG_DIR, (line) => console.log(line));
      children.push({ name: service.name, child, service });
      child.once('exit', (code, signal) => {
        if (stopping) return;
        const alive = (other: RunningService) =>
          other.child !== child && other.child.exitCode === null && other.child.signalCode === null;
        const survivors = children.filter((other) => other.service.replica === true && alive(other));
        if (service.replica === true && survivors.length > 0) {
          log(
            'orchestrator replica exited; the other replica carries on',
            { service: service.name, code, signal, survivors: survivors.map((other) => other.name) },
            `✗ ${service.name} exited (${signal ?? `code ${code}`}); ${survivors.map((other) => other.name).join(', ')} carries on`,
          );
          if (up) writeStackFile(children);
        } else {
          log(
            'service exited unexpectedly; stopping the stack',
            { service: service.name, code, signal },
            `✗ ${service.name} exited (${signal ?? `code ${code}`}); its log: ${path.relative(root, serviceLogFile(LOG_DIR, service.name))}`,
          );
          void stopAll(1);
        }
      });
      await waitUntilReady(service, child);
      log(
        'service ready',
        { service: service.name, pid: child.pid, url: service.describe },
        formatServiceStarted(service.name, service.describe, (Date.now() - startedAt) / 1000),
      );
    };
    // A fresh clone has no dashboard files (git-ignored): build them once, so that / serves the page.
    if (await ensureDashboardBuilt()) {
      log(
        'dashboard built',
        { dir: path.relative(root, DASHBOARD_DIR) },
        formatServiceStarted('dashboard', `built into ${path.relative(root, DASHBOARD_DIR)}`),
      );
    }
    const tokens = await mintSessionTokens();
    const core = coreServices(options);
    for (const service of core) await start(service);
    const later = fleetServices(await seedCatalog(tokens), options, tokens);
    for (const service of later) await start(service);
    writeStackFile(children);
    up = true;
    const summary = {
      api: `http://localhost:${ORCHESTRATOR_PORT}/api/v1/registry`,
      dashboard: `http://localhost:${ORCHESTRATOR_PORT}/`,
      ...(options.orchestrators > 1
        ? { api2: `http://localhost:${ORCHESTRATOR2_PORT}/api/v1/registry` }
        : {}),
      tenant: DEMO_TENANT,
      kafka: KAFKA_BROKERS,
      postgres: DATABASE_URL.replace(/:[^:@/]*@/, ':***@'),
      redis: REDIS_URL,
    };
    log(
      'local stack up (Ctrl-C stops it)',
      // The tokens themselves only on a terminal: JSON lines end up in log files.
      {
        ...summary,
        tokens: path.relative(root, TOKENS_FILE),
        stack: path.relative(root, STACK_FILE),
        services: Object.fromEntries([...core, ...later].map((s) => [s.name, s.describe])),
      },
      formatBanner('\nlocal stack up (Ctrl-C stops it)', [
        ['API', `${summary.api}  (both REST APIs)`],
        ...(summary.api2 === undefined
          ? []
          : [['API (replica 2)', `${summary.api2}  (the same paths, active-active)`] as [string, string]]),
        ['API docs', `http://localhost:${ORCHESTRATOR_PORT}/api/docs`],
        ['dashboard', summary.dashboard],
        ['sign-in link', `http://localhost:${ORCHESTRATOR_PORT}/#token=${tokens.operatorToken}`],
        ['tenant', summary.tenant],
        ['admin token', tokens.adminToken],
        ['operator token', `${tokens.operatorToken}  (tenant ${DEMO_TENANT})`],
        [
          'tokens file',
          `${path.relative(root, TOKENS_FILE)}  (valid 12 h; to mint more with npm run token, start with AUTH_JWT_SECRET set)`,
        ],
        ['Kafka', summary.kafka],
        ['Postgres', summary.postgres],
        ['Redis', summary.redis],
        ['processes', `${path.relative(root, STACK_FILE)}  (name, pid, port, log of each service)`],
        ['logs', `${path.relative(root, LOG_DIR)}/<service>.log (JSON; LOG_FORMAT=json prints them here)`],
      ]),
    );
  } catch (error) {
    log(
      'the local stack failed to start',
      { error: (error as Error).message },
      `✗ the local stack failed to start: ${(error as Error).message}`,
    );
    await stopAll(1);
  }
}

if (require.main === module) void main();
