/**
 * `npm run bench:registry`: upgrade-path validation latency with 1,000 versions in one component.
 *
 * Starts the registry as its own process (as in production: JSON logs at info, to /dev/null)
 * on a fresh database, loads a 1,000-version catalog through the API, then drives
 * POST …/upgrade-path/validate: paced at a steady 200 req/s, with autocannon at 200 req/s, and with
 * autocannon unthrottled.
 * Prints p50/p90/p99 latency and requests/s, for a mix of four typical questions and for each alone.
 * Target: p99 < 20 ms at 200 req/s.
 *
 * Options: `npm run bench:registry -- --help` (--duration, --connections). autocannon's rate limit lets
 * each connection send its share of a second back to back, then pause: bursts of --connections
 * concurrent requests. A paced open-loop run (one request every 5 ms) measures the steady 200 req/s the
 * target means; both are printed.
 */
import { defineCli, runCli } from '@upshift/cli';
import {
  benchFloor,
  cpuProfileFile,
  cpuProfileNodeOptions,
  createTestDatabase,
  FLOOR_CLI_OPTIONS,
  formatSelfTime,
  printBenchResult,
  ratioToFloor,
  readCpuProfile,
  selfTime,
  TEST_JWT_SECRET,
  testToken,
} from '@upshift/testing';
import autocannon from 'autocannon';
import { ChildProcess, spawn } from 'child_process';
import { createHash } from 'crypto';
import { Agent, request as httpRequest } from 'http';
import * as path from 'path';
import { freePort } from '@upshift/stack';

const REGISTRY_BENCH_CLI = defineCli({
  command: 'npm run bench:registry --',
  summary:
    'Upgrade-path validation latency with 1,000 versions in one component, on the registry as its own\n' +
    'process: paced at 200 req/s, autocannon at 200 req/s, and autocannon unthrottled (target p99 < 20 ms).',
  options: {
    duration: {
      type: 'integer',
      default: 20,
      min: 1,
      env: 'BENCH_DURATION_S',
      description: 'seconds per mix run, half that per single-case run',
    },
    connections: {
      type: 'integer',
      default: 10,
      min: 1,
      env: 'BENCH_CONNECTIONS',
      description: "autocannon's connections",
    },
    'cpu-prof-dir': {
      type: 'string',
      placeholder: 'DIR',
      description: 'profile the registry into DIR and print its top self time over the unthrottled mix run',
    },
    ...FLOOR_CLI_OPTIONS,
  },
});
// Before anything starts: --help and a wrong flag end the process here.
const { values: options } = runCli(REGISTRY_BENCH_CLI);
const DURATION_S = options.duration;
const CASE_DURATION_S = Math.max(3, Math.round(DURATION_S / 2));
const CONNECTIONS = options.connections;
const TARGET_RATE = 200;
const TARGET_P99_MS = 20;
const VERSION_COUNT = 1_000;
const API = '/api/v1/registry';

function startRegistryProcess(port: number, databaseUrl: string, profileDir: string | null): ChildProcess {
  const root = path.resolve(__dirname, '../../..');
  return spawn(process.execPath, ['-r', '@swc-node/register', 'apps/registry/src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      OUTBOX_RELAY_ENABLED: 'false',
      KAFKA_BROKERS: '127.0.0.1:1',
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      // The bench measures path validation, not the per-caller limit (6,000 a minute by default).
      RATE_LIMIT_REQUESTS: '100000000',
      LOG_LEVEL: 'info',
      ...(profileDir === null ? {} : { NODE_OPTIONS: cpuProfileNodeOptions(profileDir) }),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function waitUntilReady(base: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the registry exited with code ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/health/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the registry did not become ready within 60 s');
}

/** Every request carries a real admin token (set at the start of main): verification is part of the cost. */
let bearer = '';

async function call<T>(base: string, method: string, route: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}${API}${route}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: bearer },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route} → ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const item = items[next++];
        if (item !== undefined) await work(item);
      }
    }),
  );
}

/**
 * 10 majors × 10 minors × 10 patches. Every x.0.0 from 2 up is a mandatory waypoint (the worst case
 * for the search: many candidates between two ends), every tenth release has dependency ranges,
 * and the highest patch of each minor does not allow downgrades to it.
 */
function catalog(): {
  version: string;
  mandatory: boolean;
  dependencies: Record<string, string>;
  downgradeAllowed: boolean;
}[] {
  const versions = [];
  for (let major = 1; major <= 10; major++) {
    for (let minor = 0; minor < 10; minor++) {
      for (let patch = 0; patch < 10; patch++) {
        versions.push({
          version: `${major}.${minor}.${patch}`,
          mandatory: major >= 2 && minor === 0 && patch === 0,
          dependencies: patch === 5 ? { kafka: '>=3.5.0 <5.0.0', postgresql: '>=15.0.0' } : {},
          downgradeAllowed: patch !== 9,
        });
      }
    }
  }
  return versions;
}

async function loadCatalog(base: string): Promise<{ componentId: string; ids: Map<string, string> }> {
  const component = await call<{ id: string }>(base, 'POST', '/components', {
    name: 'bench-gateway',
    kind: 'service',
  });
  const ids = new Map<string, string>();
  const started = Date.now();
  await inParallel(catalog(), 16, async (spec) => {
    const created = await call<{ id: string }>(base, 'POST', `/components/${component.id}/versions`, {
      ...spec,
      artifact: {
        url: `https://artifacts.example.com/bench/${spec.version}.tgz`,
        sha256: createHash('sha256').update(spec.version).digest('hex'),
      },
    });
    await call(base, 'POST', `/components/${component.id}/versions/${created.id}/publish`, {});
    ids.set(spec.version, created.id);
  });
  console.log(
    `loaded ${ids.size} versions through the API in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return { componentId: component.id, ids };
}

interface RunFigures {
  label: string;
  requests: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
}

async function run(
  label: string,
  url: string,
  bodies: string[],
  rate: number | undefined,
  seconds: number,
): Promise<RunFigures> {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    ...(rate === undefined ? {} : { overallRate: rate }),
    requests: bodies.map((body) => ({
      method: 'POST',
      path: new URL(url).pathname,
      headers: { 'content-type': 'application/json', authorization: bearer },
      body,
    })),
  });
  return {
    label,
    requests: result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/**
 * An open-loop load at a steady rate: one request every 1000/rate ms, whatever the answers do, each
 * timed from when it was due (so a slow server cannot hide its queueing: no coordinated omission).
 * autocannon's rate limit instead lets each connection send its share of the second back to back and
 * then wait for the next second, i.e. bursts; both are reported.
 */
async function pacedRun(
  label: string,
  url: string,
  bodies: string[],
  rate: number,
  seconds: number,
): Promise<RunFigures> {
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  const total = rate * seconds;
  const interval = 1000 / rate;
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const body = bodies[i % bodies.length] ?? '{}';
    inFlight.push(
      new Promise<void>((resolve) => {
        const req = httpRequest(
          {
            agent,
            host: target.hostname,
            port: target.port,
            path: target.pathname,
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
              authorization: bearer,
            },
          },
          (res) => {
            res.resume();
            res.on('end', () => {
              latencies.push(performance.now() - due);
              if ((res.statusCode ?? 0) >= 300) non2xx += 1;
              resolve();
            });
          },
        );
        req.on('error', () => {
          errors += 1;
          resolve();
        });
        req.end(body);
      }),
    );
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  const sorted = latencies.sort((x, y) => x - y);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    label,
    requests: latencies.length,
    rps: latencies.length / elapsed,
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1) ?? 0),
    non2xx,
    errors,
  };
}

async function main(): Promise<void> {
  // First, on a machine nothing of the bench loads yet.
  const floor = await benchFloor(options);
  bearer = `Bearer ${await testToken({ sub: 'bench' })}`;
  const db = await createTestDatabase('registry_bench');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const profileDir = options['cpu-prof-dir'] ? path.resolve(options['cpu-prof-dir']) : null;
  const child = startRegistryProcess(port, db.url, profileDir);
  let unthrottledWindow: { fromUs: number; toUs: number } | null = null;
  try {
    await waitUntilReady(base, child);
    const { componentId, ids } = await loadCatalog(base);
    const id = (version: string) => {
      const found = ids.get(version);
      if (found === undefined) throw new Error(`no version ${version}`);
      return found;
    };
    const installedComponents = { kafka: '3.6.0', postgresql: '16.1' };
    // A mix the orchestrator would send: a direct patch upgrade, a minor upgrade with dependencies,
    // a blocked jump across eight majors (the search's worst case here: a route through every major
    // and eight mandatory waypoints), a downgrade. Each case is also measured alone.
    const cases: [string, Record<string, unknown>][] = [
      [
        'direct 3.4.1 -> 3.4.2',
        { fromVersionId: id('3.4.1'), toVersionId: id('3.4.2'), installedComponents },
      ],
      ['deps 5.1.0 -> 5.7.5', { fromVersionId: id('5.1.0'), toVersionId: id('5.7.5'), installedComponents }],
      [
        '8 majors 1.2.3 -> 9.9.8',
        { fromVersionId: id('1.2.3'), toVersionId: id('9.9.8'), installedComponents },
      ],
      [
        'downgrade 7.3.3 -> 7.1.4',
        { fromVersionId: id('7.3.3'), toVersionId: id('7.1.4'), installedComponents },
      ],
    ];
    const route = `/components/${componentId}/upgrade-path/validate`;
    const url = `${base}${API}${route}`;
    for (const [label, body] of cases) {
      const answer = await call<{ valid: boolean; path: unknown[]; blockers: { code: string }[] }>(
        base,
        'POST',
        route,
        body,
      );
      const codes = [...new Set(answer.blockers.map((b) => b.code))].join(',') || 'none';
      console.log(`${label}: valid=${answer.valid}, path of ${answer.path.length} stops, blockers ${codes}`);
    }
    const bodies = cases.map(([, body]) => JSON.stringify(body));

    await run('warm-up', url, bodies, undefined, 3);
    const paced = await pacedRun(
      `mix, paced ${TARGET_RATE} req/s (open loop)`,
      url,
      bodies,
      TARGET_RATE,
      DURATION_S,
    );
    const held = await run(`mix, autocannon ${TARGET_RATE} req/s`, url, bodies, TARGET_RATE, DURATION_S);
    // Monotonic microseconds, the clock the registry's profile samples are stamped with.
    const fromUs = Number(process.hrtime.bigint() / 1000n);
    const open = await run('mix, autocannon unthrottled', url, bodies, undefined, DURATION_S);
    unthrottledWindow = { fromUs, toUs: Number(process.hrtime.bigint() / 1000n) };
    const perCase: RunFigures[] = [];
    for (const [label, body] of cases) {
      const single = [JSON.stringify(body)];
      perCase.push(
        await pacedRun(`${label}, paced ${TARGET_RATE}`, url, single, TARGET_RATE, CASE_DURATION_S),
      );
      perCase.push(await run(`${label}, unthrottled`, url, single, undefined, CASE_DURATION_S));
    }

    console.log(
      `\nPOST …/upgrade-path/validate, ${VERSION_COUNT} versions, ${CONNECTIONS} connections, ` +
        `${DURATION_S} s per mix run, ${CASE_DURATION_S} s per single-case run`,
    );
    console.table(
      [paced, held, open, ...perCase].map((f) => ({
        run: f.label,
        'req/s': Math.round(f.rps),
        requests: f.requests,
        'p50 ms': f.p50,
        'p90 ms': f.p90,
        'p99 ms': f.p99,
        'max ms': f.max,
        'non-2xx': f.non2xx,
        errors: f.errors,
      })),
    );
    const verdict = (f: RunFigures) =>
      f.p99 < TARGET_P99_MS && f.non2xx === 0 && f.errors === 0 ? 'met' : 'NOT met';
    console.log(
      `target p99 < ${TARGET_P99_MS} ms at ${TARGET_RATE} req/s (mix): paced ${verdict(paced)} (p99 ${paced.p99} ms), ` +
        `autocannon ${verdict(held)} (p99 ${held.p99} ms, bursts of ${CONNECTIONS} concurrent)`,
    );
    console.log(
      JSON.stringify({
        bench: 'registry.path-validation',
        versions: VERSION_COUNT,
        paced,
        autocannonHeld: held,
        autocannonUnthrottled: open,
        perCase,
      }),
    );
    printBenchResult('registry.path-validation', floor, {
      validationsPerSec: Math.round(open.rps),
      validationsPerFloorReq: ratioToFloor(open.rps, floor),
      unthrottledP99Ms: open.p99,
      pacedP99Ms: paced.p99,
    });
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await db.drop();
  }
  if (profileDir !== null && unthrottledWindow !== null) {
    const file = cpuProfileFile(profileDir, child.pid ?? 0);
    const report = selfTime(readCpuProfile(file), { ...unthrottledWindow, top: 25 });
    console.log(
      ['', `registry CPU profile ${file}`, ...formatSelfTime('mix, autocannon unthrottled', report)].join(
        '\n',
      ),
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
