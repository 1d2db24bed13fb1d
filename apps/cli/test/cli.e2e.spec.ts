import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import type { EventEnvelope, ProgressEvent, UpgradeExecutionView } from '@upshift/contracts';
import { startStack, DEMO_COMPONENT, type Stack } from '@upshift/stack';
import { runCli } from '../src/main';

jest.setTimeout(300_000);

const INSTANCES = 6;
const ROOT = path.join(__dirname, '..', '..', '..');

/** One CLI invocation, in process: its exit code and what it printed. */
interface Run {
  code: number;
  stdout: string;
  stderr: string;
  lines: string[];
}

/**
 * The `upshift` CLI against the whole stack as processes (registry, orchestrator, a worker, a simulated
 * fleet of six): each command's table and JSON output, `watch` to COMPLETED, ROLLED_BACK and CANCELLED
 * with their exit codes, a `watch` that survives an orchestrator restart without a gap, and errors.
 */
describe('upshift CLI (e2e)', () => {
  let stack: Stack;
  let home: string;
  let completedId = '';

  beforeAll(async () => {
    stack = await startStack({
      label: 'cli',
      workers: 1,
      workerConcurrency: 8,
      orchestratorEnv: { CANARY_MONITOR_TICK_MS: '250' },
      fleet: {
        instances: INSTANCES,
        initialVersion: '2.1.0',
        latency: {
          default: { kind: 'uniform', minMs: 5, maxMs: 20 },
          upgrade: { kind: 'uniform', minMs: 50, maxMs: 150 },
        },
      },
    });
    // An empty profile directory: nothing of the machine's own ~/.config/upshift leaks in.
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'upshift-cli-'));
  });

  afterAll(async () => {
    await stack?.stop();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  const env = (token = stack.operatorToken): NodeJS.ProcessEnv => ({
    UPSHIFT_URL: stack.baseUrl,
    UPSHIFT_TOKEN: token,
    XDG_CONFIG_HOME: home,
  });

  async function cli(
    args: string[],
    options: { token?: string; onLine?: (line: string) => void } = {},
  ): Promise<Run> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(
      args,
      {
        out: (text) => {
          out.push(text);
          for (const line of text.split('\n')) options.onLine?.(line);
        },
        err: (text) => err.push(text),
        tty: false,
      },
      env(options.token),
    );
    const stdout = out.join('\n');
    return { code, stdout, stderr: err.join('\n'), lines: stdout.split('\n') };
  }

  const json = <T>(run: Run): T => JSON.parse(run.stdout) as T;

  /** Flags of a quick upgrade of the whole fleet. */
  const upgradeFlags = (from: string, to: string, extra: string[] = []) => [
    'upgrade',
    'create',
    '--component',
    DEMO_COMPONENT,
    '--from',
    from,
    '--to',
    to,
    '--instances',
    String(INSTANCES),
    '--batch-size',
    '2',
    '--batch-delay',
    '0',
    '--health-interval',
    '1',
    '--health-timeout',
    '5',
    '--max-unavailable',
    '50',
    '--installed',
    'kafka=3.6.0',
    '--installed',
    'postgresql=16.1.0',
    ...extra,
  ];

  it('lists components and versions by name, as a table and as JSON', async () => {
    const table = await cli(['components']);
    expect(table.code).toBe(0);
    expect(table.lines[0]).toMatch(/^NAME\s+KIND\s+DESCRIPTION\s+ID$/);
    expect(table.stdout).toMatch(new RegExp(`^${DEMO_COMPONENT}\\s+\\S+.*${stack.componentId}$`, 'm'));
    const list = json<{ id: string; name: string }[]>(await cli(['components', '--output', 'json']));
    expect(list).toContainEqual(expect.objectContaining({ id: stack.componentId, name: DEMO_COMPONENT }));

    const versions = await cli(['versions', DEMO_COMPONENT]);
    expect(versions.code).toBe(0);
    expect(versions.stdout).toMatch(
      new RegExp(`^2\\.1\\.0\\s+published\\s.*${stack.versionId('2.1.0')}$`, 'm'),
    );
    expect(versions.stdout).toMatch(/^2\.2\.1\s+yanked\s/m);
    const byId = json<{ id: string; version: string }[]>(
      await cli(['-o', 'json', 'versions', stack.componentId]),
    );
    expect(byId.find((v) => v.version === '2.2.2')?.id).toBe(stack.versionId('2.2.2'));
  });

  it('validates a path: the route when valid (exit 0), the blockers when not (exit 1)', async () => {
    const valid = await cli([
      'path',
      DEMO_COMPONENT,
      '--from',
      '2.1.0',
      '--to',
      '2.2.2',
      '--installed',
      'kafka=3.6.0',
      '--installed',
      'postgresql=16.1.0',
    ]);
    expect(valid.code).toBe(0);
    expect(valid.stdout).toMatch(/^valid:\s+yes$/m);
    expect(valid.stdout).toMatch(/^route:\s+2\.1\.0 → .*2\.2\.2$/m);

    const blocked = await cli(['path', DEMO_COMPONENT, '--from', '1.2.0', '--to', '3.0.0', '-o', 'json']);
    expect(blocked.code).toBe(1);
    const answer = json<{ valid: boolean; blockers: { code: string }[]; path: { version: string }[] }>(
      blocked,
    );
    expect(answer.valid).toBe(false);
    expect(answer.blockers.length).toBeGreaterThan(0);
    const table = await cli(['path', DEMO_COMPONENT, '--from', '1.2.0', '--to', '3.0.0']);
    expect(table.stdout).toMatch(/^valid:\s+no$/m);
    expect(table.stdout).toContain(`blocker ${answer.blockers[0]?.code}:`);
  });

  it('creates, starts and watches an upgrade to COMPLETED (exit 0), with a progress bar per batch', async () => {
    const created = await cli(
      upgradeFlags('2.1.0', '2.2.0', ['--strategy', 'ROLLING', '--initiated-by', 'cli@e2e']),
    );
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^status:\s+PENDING\b/m);
    completedId = /^id:\s+(\S+)$/m.exec(created.stdout)?.[1] ?? '';
    expect(completedId).toMatch(/^[0-9a-f-]{36}$/);

    const started = await cli(['start', completedId, '-o', 'json']);
    expect(started.code).toBe(0);
    expect(json<UpgradeExecutionView>(started).status).toBe('VALIDATING');

    const watched = await cli(['watch', completedId]);
    expect(watched.code).toBe(0);
    expect(watched.lines[0]).toMatch(
      new RegExp(`^watching ${completedId}: ROLLING, ${INSTANCES} instances, 3 batches, status [A-Z_]+$`),
    );
    for (const batch of [1, 2, 3]) {
      expect(watched.stdout).toContain(`batch ${batch}/3 started: 2 instances`);
      expect(watched.stdout).toContain(`batch ${batch}/3 [####################] 2/2 upgraded, 0 failed`);
    }
    expect(watched.stdout).toContain('check VERSION_COMPATIBILITY: passed');
    expect(watched.stdout).toContain('status IN_PROGRESS → COMPLETED');
    expect(watched.lines[watched.lines.length - 1]).toBe('COMPLETED');
    await stack.inventoryMatchesFleet();

    // A finished execution: watching it again replays the story and exits the same way.
    const again = await cli(['watch', completedId, '-o', 'json']);
    expect(again.code).toBe(0);
    const sequences = again.lines.map((l) => (JSON.parse(l) as EventEnvelope<ProgressEvent>).sequence);
    expect(sequences).toEqual(sequences.map((_, i) => i + 1));
  });

  it('reads the execution back: get, list, instances (paged), transcript, stats and audit', async () => {
    const get = await cli(['get', completedId]);
    expect(get.stdout).toMatch(/^status:\s+COMPLETED \(/m);
    expect(get.stdout).toMatch(
      new RegExp(`^instances:\\s+${INSTANCES}/${INSTANCES} upgraded, 0 failed$`, 'm'),
    );
    expect(get.stdout).toMatch(/^NAME\s+STATUS\s+BATCH\s+ERROR\s+ID$/m);
    expect(get.lines.filter((l) => /\sCOMPLETED\s+\d\s/.test(l))).toHaveLength(INSTANCES);
    expect(json<UpgradeExecutionView>(await cli(['get', completedId, '-o', 'json'])).completedInstances).toBe(
      INSTANCES,
    );

    const list = await cli(['list']);
    expect(list.stdout).toMatch(
      new RegExp(`^${completedId}\\s+${stack.componentId}\\s+ROLLING\\s+COMPLETED\\s+6/6\\s+0\\s`, 'm'),
    );
    const page = json<{ content: { id: string }[] }>(
      await cli(['list', '--status', 'COMPLETED', '-o', 'json']),
    );
    expect(page.content.map((e) => e.id)).toContain(completedId);

    const first = await cli(['instances', completedId, '--limit', '4']);
    const cursor = /^next page: --cursor (\S+)$/m.exec(first.stdout)?.[1];
    expect(first.lines.filter((l) => /\sCOMPLETED\s/.test(l))).toHaveLength(4);
    expect(cursor).toBeDefined();
    const rest = json<{ instances: { name: string }[]; next: string | null }>(
      await cli(['instances', completedId, '--limit', '4', '--cursor', cursor ?? '', '-o', 'json']),
    );
    expect(rest.instances).toHaveLength(2);
    expect(rest.next).toBeNull();

    const transcript = await cli(['transcript', completedId, '--limit', '3']);
    expect(transcript.lines.length).toBeGreaterThan(3);
    expect(transcript.lines.every((l) => /^\d{4}-\d\d-\d\dT\S+ {2}\S/.test(l))).toBe(true);
    const lines = json<{ lines: { line: string }[] }>(
      await cli(['transcript', completedId, '-o', 'json']),
    ).lines;
    expect(lines.map((l) => l.line)).toEqual(transcript.lines.map((l) => l.replace(/^\S+ {2}/, '')));

    const stats = await cli(['stats', DEMO_COMPONENT]);
    expect(stats.stdout).toMatch(/^executions:\s+1$/m);
    expect(stats.stdout).toMatch(/^successful:\s+1$/m);
    expect(
      json<{ successRate: number }>(await cli(['stats', stack.componentId, '-o', 'json'])).successRate,
    ).toBe(100);

    const audit = await cli(['audit', '--tenant', stack.tenantId], { token: stack.adminToken });
    expect(audit.stdout).toMatch(/^AT\s+SERVICE\s+ACTION\s+STATUS\s+SUB\s+TENANT\s+TARGET$/m);
    expect(audit.stdout).toMatch(
      new RegExp(`\\sorchestrator\\s+upgrade\\.start\\s+200\\s.*${completedId}$`, 'm'),
    );
    const records = json<{ items: { action: string; targetId: string | null }[] }>(
      await cli(['audit', '-o', 'json', '--limit', '50'], { token: stack.adminToken }),
    );
    expect(records.items).toContainEqual(expect.objectContaining({ action: 'upgrade.create' }));
  });

  it('watch exits 1 on a rollback, showing failures and the rollback as they happen; the body may come from a YAML file', async () => {
    const names = stack.fleet.instances.map((i) => i.name);
    stack.fleet.setFaults({ unhealthyAfterUpgrade: { instances: names.slice(0, 2) } });
    try {
      const file = path.join(home, 'upgrade.yaml');
      fs.writeFileSync(
        file,
        [
          `componentId: ${DEMO_COMPONENT}`,
          'fromVersionId: 2.2.0',
          'toVersionId: 2.2.2',
          'strategy: CANARY',
          'canaryPercentage: 34',
          `totalInstances: ${INSTANCES}`,
          'healthCheckIntervalSeconds: 1',
          'healthCheckTimeoutSeconds: 3',
          'failureThreshold: 1',
          'autoRollbackEnabled: true',
          'installedComponents: { kafka: 3.6.0, postgresql: 16.1.0 }',
        ].join('\n'),
      );
      const created = json<UpgradeExecutionView>(
        await cli(['upgrade', 'create', '--file', file, '-o', 'json']),
      );
      expect(created).toMatchObject({
        strategy: 'CANARY',
        componentId: stack.componentId,
        status: 'PENDING',
      });
      expect(created.toVersionId).toBe(stack.versionId('2.2.2'));
      expect((await cli(['start', created.id])).code).toBe(0);

      const watched = await cli(['watch', created.id]);
      expect(watched.code).toBe(1);
      expect(watched.stdout).toMatch(/^instance \S+ FAILED/m);
      expect(watched.stdout).toMatch(/^ROLLBACK started by system:auto-rollback: /m);
      expect(watched.stdout).toMatch(/^rollback done: \d+ rolled back, 0 failed$/m);
      expect(watched.lines[watched.lines.length - 1]).toBe('ROLLED_BACK');
    } finally {
      stack.fleet.setFaults({});
    }
    await stack.inventoryMatchesFleet();
  });

  it('watch resumes across an orchestrator restart with Last-Event-ID: every event once, in order, none missing', async () => {
    const created = json<UpgradeExecutionView>(
      await cli([...upgradeFlags('2.2.0', '2.2.2', ['--batch-delay', '1']), '-o', 'json']),
    );
    expect((await cli(['start', created.id])).code).toBe(0);
    let restarted: Promise<unknown> | null = null;
    const watched = await cli(['watch', created.id, '-o', 'json'], {
      onLine: (line) => {
        const event = JSON.parse(line) as EventEnvelope<ProgressEvent>;
        // Mid-run: the first batch has started, the others have not.
        if (restarted === null && event.data.kind === 'BatchStarted') restarted = stack.restartOrchestrator();
      },
    });
    await restarted;
    expect(watched.stderr).toMatch(/connection lost \(.*\); reconnecting after event \d+/);
    expect(watched.code).toBe(0);
    const events = watched.lines.map((l) => JSON.parse(l) as EventEnvelope<ProgressEvent>);
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    const last = events.filter((e) => e.data.kind === 'ExecutionStatusChanged').pop();
    expect(last?.data).toMatchObject({ to: 'COMPLETED' });
    await stack.inventoryMatchesFleet();
  });

  it('watch exits 2 on CANCELLED', async () => {
    const created = json<UpgradeExecutionView>(await cli([...upgradeFlags('2.2.2', '3.0.0'), '-o', 'json']));
    const cancelled = await cli(['cancel', created.id]);
    expect(cancelled.stdout).toMatch(/^status:\s+CANCELLED\b/m);
    const watched = await cli(['watch', created.id]);
    expect(watched.code).toBe(2);
    expect(watched.stdout).toContain('status PENDING → CANCELLED');
  });

  it('prints the problem title and the field a 400 names (exit 3), a 404 likewise, a usage error with 64; never a stack trace', async () => {
    const bad = await cli(upgradeFlags('2.2.2', '3.0.0', ['--batch-size', '0']));
    expect(bad.code).toBe(3);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^error: The request is invalid \(HTTP 400\)$/m);
    expect(bad.stderr).toMatch(/^ {2}batchSize: /m);

    const missing = await cli(['get', '00000000-0000-4000-8000-000000000000']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^error: Not found \(HTTP 404\)$/m);

    const unknownComponent = await cli(['versions', 'no-such-component']);
    expect(unknownComponent.code).toBe(64);
    expect(unknownComponent.stderr).toBe('error: COMPONENT: no component is named "no-such-component"');

    const usage = await cli(['rollback', completedId]);
    expect(usage.code).toBe(64);
    expect(usage.stderr).toContain("required option '--reason <reason>' not specified");

    for (const run of [bad, missing, unknownComponent, usage]) expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('runs as `upshift` from bin/ with UPSHIFT_URL and UPSHIFT_TOKEN, and as the profile file says', async () => {
    const exec = promisify(execFile);
    const bin = path.join(ROOT, 'bin', 'upshift.js');
    const fromEnv = await exec(process.execPath, [bin, 'stats', DEMO_COMPONENT, '-o', 'json'], {
      cwd: os.tmpdir(),
      env: { ...process.env, ...env() },
    });
    const inProcess = json<{ totalExecutions: number }>(await cli(['stats', DEMO_COMPONENT, '-o', 'json']));
    expect(JSON.parse(fromEnv.stdout)).toEqual({ ...inProcess, componentId: stack.componentId });

    fs.mkdirSync(path.join(home, 'upshift'), { recursive: true });
    fs.writeFileSync(
      path.join(home, 'upshift', 'config.json'),
      JSON.stringify({ url: stack.baseUrl, token: stack.operatorToken }),
    );
    const { UPSHIFT_URL: _url, UPSHIFT_TOKEN: _token, ...rest } = process.env;
    const fromProfile = await exec(process.execPath, [bin, 'get', completedId, '-o', 'json'], {
      env: { ...rest, XDG_CONFIG_HOME: home },
    });
    expect(JSON.parse(fromProfile.stdout)).toMatchObject({ id: completedId, status: 'COMPLETED' });

    const refused = await exec(process.execPath, [bin, 'get', completedId], {
      env: { ...rest, XDG_CONFIG_HOME: home, UPSHIFT_TOKEN: 'not-a-token' },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(refused).toMatchObject({ code: 3 });
    expect((refused as { stderr: string }).stderr).toMatch(/^error: .* \(HTTP 401\)$/m);
  });
});
