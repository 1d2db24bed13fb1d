/**
 * `npm run bench:http`: what the HTTP front of the stack costs, as a share of a bare node:http server
 * measured in the same run (the floor). On a stack it starts itself (free ports, its own database,
 * broker and Redis prefixes), loads four routes with `wrk -t2 -c32 -d10s --latency`:
 *   - GET /health/live of the orchestrator (no auth, no database: the framework's own cost);
 *   - GET /api/v1/registry/upgrades/:id of a finished 20-instance execution (auth, a read, the view);
 *   - the registry's components list, direct on the registry's port;
 *   - the same list through the orchestrator's proxy (docs/adr/0045-one-base-url-registry-proxy.md).
 * Prints req/s and p50/p99 of each, each as % of the floor, the proxy's rate as a fraction of the direct
 * one, and a `RESULT {json}` line. With `--cpu-prof-dir` the orchestrator profiles itself (V8's sampling
 * profiler) and the top self-time functions of each route's window are printed after the stack stops.
 *
 * Options: `npm run bench:http -- --help`. Needs wrk (`apt-get install -y wrk`).
 */
import 'reflect-metadata';
import { existsSync, mkdirSync } from 'fs';
import * as path from 'path';
import { ExecutionStatus } from '@upshift/contracts';
import { defineCli, runCli } from '@upshift/cli';
import {
  benchFloor,
  CpuMeter,
  cpuProfileFile,
  cpuProfileNodeOptions,
  FLOOR_CLI_OPTIONS,
  formatSelfTime,
  formatWrkFigures,
  printBenchResult,
  readCpuProfile,
  requireWrk,
  runWrk,
  selfTime,
  type WrkFigures,
} from '@upshift/testing';
import { OrchestratorClient, startStack, type Stack } from '@upshift/stack';

const ROUTES = ['health', 'upgrade', 'components-direct', 'components-proxy'] as const;
type RouteName = (typeof ROUTES)[number];

const BENCH_HTTP_CLI = defineCli({
  command: 'npm run bench:http --',
  summary:
    "wrk against the orchestrator's /health/live, a finished execution's GET /upgrades/:id, and the registry's\n" +
    'components list direct and through the proxy, each beside a bare node:http floor measured in the same run.',
  options: {
    seconds: { type: 'integer', default: 10, min: 1, max: 120, description: 'seconds of wrk per route' },
    only: {
      type: 'enum',
      values: ['all', ...ROUTES],
      default: 'all',
      description: 'load one route only (e.g. while profiling it)',
    },
    'cpu-prof-dir': {
      type: 'string',
      placeholder: 'DIR',
      description: "profile the orchestrator into DIR and print each route's top self time",
    },
    verbose: { type: 'boolean', description: "echo the services' logs on stderr" },
    ...FLOOR_CLI_OPTIONS,
  },
});
// Before anything starts: --help and a wrong flag end the process here.
const { values: options } = runCli(BENCH_HTTP_CLI);
const INSTANCES = 20;
const log = (line: string) => console.error(`${new Date().toISOString().slice(11, 19)} ${line}`);
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

interface RouteRun {
  route: RouteName;
  url: string;
  figures: WrkFigures;
  /** CPU ms per request of the orchestrator and of the registry during the run (/proc). */
  cpuMsPerRequest: { orchestrator: number; registry: number };
  /** Monotonic µs, to find the run in the orchestrator's CPU profile. */
  fromUs: number;
  toUs: number;
}

async function finishedExecution(stack: Stack): Promise<string> {
  const client = new OrchestratorClient(stack.baseUrl, stack.operatorToken);
  const execution = await client.create(stack.tenantId, {
    componentId: stack.componentId,
    fromVersionId: stack.versionId('2.1.0'),
    toVersionId: stack.versionId('2.2.2'),
    strategy: 'ROLLING',
    batchSize: 10,
    batchDelaySeconds: 0,
    healthCheckIntervalSeconds: 1,
    healthCheckTimeoutSeconds: 60,
    maxUnavailablePercentage: 50,
    totalInstances: INSTANCES,
    autoRollbackEnabled: false,
    failureThreshold: 3,
    initiatedBy: 'bench@upshift.local',
    installedComponents: { kafka: '3.6.0', postgresql: '16.1.0' },
  });
  await client.operate(execution.id, 'start');
  const deadline = Date.now() + 120_000;
  for (;;) {
    const view = await client.get(execution.id);
    if (view.status === ExecutionStatus.COMPLETED) return execution.id;
    if (['FAILED', 'CANCELLED', 'ROLLED_BACK'].includes(view.status))
      throw new Error(`the execution ended ${view.status}, not COMPLETED`);
    if (Date.now() > deadline) throw new Error(`the execution is still ${view.status} after 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Fails before the load when a route does not answer 200: wrk would measure error pages instead. */
async function expectOk(url: string, headers: Record<string, string>): Promise<void> {
  const response = await fetch(url, { headers });
  if (response.status !== 200)
    throw new Error(`GET ${url} answered ${response.status}: ${(await response.text()).slice(0, 500)}`);
}

const percentOf = (value: number, floor: number | undefined) =>
  floor ? `${((value / floor) * 100).toFixed(1)} %` : '–';

async function main(): Promise<number> {
  requireWrk();
  const profileDir = options['cpu-prof-dir'] ? path.resolve(options['cpu-prof-dir']) : null;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const floor = await benchFloor(options);
  let stack: Stack | null = null;
  let orchestratorPid: number | undefined;
  const runs: RouteRun[] = [];
  // Every service inherits it: wrk sends thousands of requests a second with one token, well past the
  // per-caller limit (RATE_LIMIT_REQUESTS, 6000 a minute by default); the limiter still runs, as deployed.
  process.env['RATE_LIMIT_REQUESTS'] = String(1_000_000_000);
  try {
    stack = await startStack({
      label: 'benchhttp',
      workers: 1,
      // The stack's default: what a deployment runs with (JSON lines of warnings and errors only).
      logLevel: 'warn',
      echo: options.verbose,
      log,
      fleet: { instances: INSTANCES, initialVersion: '2.1.0' },
      orchestratorEnv: profileDir ? { NODE_OPTIONS: cpuProfileNodeOptions(profileDir) } : {},
    });
    orchestratorPid = stack.orchestrator.child.pid;
    const executionId = await finishedExecution(stack);
    log(`execution ${executionId} COMPLETED`);
    const auth = { authorization: `Bearer ${stack.operatorToken}` };
    const routes: { route: RouteName; url: string; headers: Record<string, string> }[] = [
      { route: 'health', url: `${stack.baseUrl}/health/live`, headers: {} },
      { route: 'upgrade', url: `${stack.baseUrl}/api/v1/registry/upgrades/${executionId}`, headers: auth },
      { route: 'components-direct', url: `${stack.registryUrl}/api/v1/registry/components`, headers: auth },
      { route: 'components-proxy', url: `${stack.baseUrl}/api/v1/registry/components`, headers: auth },
    ];
    for (const { route, url, headers } of routes) {
      if (options.only !== 'all' && options.only !== route) continue;
      await expectOk(url, headers);
      // A short warm-up (connections, JIT, caches), not counted.
      await runWrk({ url, headers, durationSeconds: 1 });
      const cpu = CpuMeter.start([
        { name: 'orchestrator', matches: (p) => p.pid === stack?.orchestrator.child.pid },
        { name: 'registry', matches: (p) => p.pid === stack?.registry.child.pid },
      ]);
      const fromUs = monotonicUs();
      const figures = await runWrk({ url, headers, durationSeconds: options.seconds });
      const toUs = monotonicUs();
      const groups = cpu.stop().groups;
      const perRequest = (group: string) => {
        const seconds = groups.find((g) => g.name === group)?.seconds ?? NaN;
        return Number(((seconds * 1000) / figures.requests).toFixed(3));
      };
      const cpuMsPerRequest = { orchestrator: perRequest('orchestrator'), registry: perRequest('registry') };
      runs.push({ route, url, figures, cpuMsPerRequest, fromUs, toUs });
      log(`${route}: ${formatWrkFigures(figures)}`);
    }
  } finally {
    // The orchestrator writes its profile as it exits.
    await stack?.stop();
  }

  const floorRps = floor?.requestsPerSec;
  console.log(
    `\n──────── bench:http (wrk -t2 -c32 -d${options.seconds}s --latency; % of the bare node:http floor) ────────`,
  );
  for (const run of runs) {
    const { requestsPerSec, latencyMs } = run.figures;
    console.log(
      `${run.route.padEnd(18)} ${formatWrkFigures(run.figures).padEnd(48)} ` +
        `req/s ${percentOf(requestsPerSec, floorRps)} of the floor, ` +
        `p50 ${percentOf(latencyMs.p50, floor?.latencyMs.p50)}, p99 ${percentOf(latencyMs.p99, floor?.latencyMs.p99)}; ` +
        `CPU/request orchestrator ${run.cpuMsPerRequest.orchestrator} ms, registry ${run.cpuMsPerRequest.registry} ms`,
    );
  }
  const byRoute = new Map(runs.map((run) => [run.route, run.figures]));
  const direct = byRoute.get('components-direct')?.requestsPerSec;
  const proxied = byRoute.get('components-proxy')?.requestsPerSec;
  const proxyShare = direct && proxied ? Number((proxied / direct).toFixed(3)) : null;
  if (proxyShare !== null)
    console.log(
      `the proxy serves the components list at ${(proxyShare * 100).toFixed(1)} % of the direct rate`,
    );

  if (profileDir) {
    const file = cpuProfileFile(profileDir, orchestratorPid ?? 0);
    if (!existsSync(file)) throw new Error(`no ${file}: did the orchestrator exit cleanly?`);
    const profile = readCpuProfile(file);
    console.log(`\norchestrator CPU profile ${file}`);
    for (const run of runs) {
      const report = selfTime(profile, { fromUs: run.fromUs, toUs: run.toUs, top: 20 });
      const requests = run.figures.requests;
      console.log(
        [
          // Sampled wall time on the main thread: it includes time preempted inside a system call.
          ...formatSelfTime(
            `${run.route} (${((report.busyMs * 1000) / requests).toFixed(0)} µs sampled per request)`,
            report,
          ),
          '',
        ].join('\n'),
      );
    }
  }

  const figuresOf = (route: RouteName) => {
    const figures = byRoute.get(route);
    if (!figures) return null;
    return {
      reqPerSec: Math.round(figures.requestsPerSec),
      p50Ms: figures.latencyMs.p50,
      p99Ms: figures.latencyMs.p99,
      ofFloor: floorRps ? Number((figures.requestsPerSec / floorRps).toFixed(4)) : null,
      non2xx: figures.non2xx,
      cpuMsPerRequest: runs.find((run) => run.route === route)?.cpuMsPerRequest ?? null,
    };
  };
  printBenchResult('http', floor, {
    seconds: options.seconds,
    health: figuresOf('health'),
    upgrade: figuresOf('upgrade'),
    componentsDirect: figuresOf('components-direct'),
    componentsProxy: figuresOf('components-proxy'),
    proxyToDirect: proxyShare,
  });
  return runs.every((run) => run.figures.non2xx === 0) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
