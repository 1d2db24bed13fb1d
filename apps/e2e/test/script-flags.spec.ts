import { execFile } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { REPO_ROOT } from '@upshift/stack';

/**
 * Every script a person runs with flags answers --help and refuses a wrong flag as a process would be
 * run: exit codes, output, and — for the refusal — nothing started (no socket listened on or connected,
 * no process spawned), as recorded by a preloaded probe.
 */
const RECORDER = path.join(__dirname, 'support', 'record-side-effects.ts');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  sideEffects: string[];
}

let scratch: string;
beforeAll(() => (scratch = mkdtempSync(path.join(tmpdir(), 'upshift-script-flags-'))));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Variables the scripts read as option defaults, removed so the machine's environment cannot interfere. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^(BENCH_|UP_|FLEET_)/.test(key) && key !== 'LOG_FORMAT' && key !== 'REGISTRY_URL',
    ),
  );
}

let runs = 0;
function run(file: string, args: string[], argv: string[]): Promise<Run> {
  const sideEffectsFile = path.join(scratch, `side-effects-${(runs += 1)}`);
  return new Promise((resolve) => {
    execFile(
      file,
      [...args, ...argv],
      { cwd: REPO_ROOT, env: { ...cleanEnv(), SIDE_EFFECTS_FILE: sideEffectsFile }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const sideEffects = existsSync(sideEffectsFile)
          ? readFileSync(sideEffectsFile, 'utf8').split('\n').filter(Boolean)
          : [];
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr, sideEffects });
      },
    );
  });
}

/** `node -r @swc-node/register <entry> …`, as the npm scripts run them, with the side-effect probe. */
const runEntry = (entry: string, argv: string[]) =>
  run(process.execPath, ['-r', '@swc-node/register', '-r', RECORDER, entry], argv);

describe('the side-effect probe', () => {
  it('sees a script listen, connect and spawn (so an empty record means nothing started)', async () => {
    const script = `
      require('net').createServer().listen(0, '127.0.0.1', () =>
        require('child_process').execFile(process.execPath, ['-e', ''], () => {
          const socket = require('net').connect(1, '127.0.0.1');
          socket.on('error', () => process.exit(0));
        }));`;
    const result = await run(
      process.execPath,
      ['-r', '@swc-node/register', '-r', RECORDER, '-e', script],
      [],
    );
    expect(result.code).toBe(0);
    expect(result.sideEffects).toEqual(['listen', 'spawn', 'connect']);
  });
});

describe('npm run demo', () => {
  it('prints its options with their defaults on --help and exits 0, through npm as a user types it', async () => {
    const result = await run('npm', ['run', '--silent', 'demo', '--'], ['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^usage: npm run demo -- \[options\]/);
    expect(result.stdout).toMatch(/--instances N +simulated instances \(default 20; 1–100000\)/);
    expect(result.stdout).toMatch(/--seed-timings /);
    expect(result.stdout).toMatch(/--verbose /);
    expect(result.stdout).toMatch(/-h, --help +print this help and exit/);
  });

  it('refuses --instances abc naming the flag, exits 2 and starts nothing', async () => {
    const result = await runEntry('scripts/demo.ts', ['--instances', 'abc']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--instances must be a whole number, got "abc"');
    expect(result.stderr).toContain('npm run demo -- --help');
    expect(result.stdout).toBe('');
    expect(result.sideEffects).toEqual([]);
  });

  it('refuses an unknown flag and starts nothing', async () => {
    const result = await runEntry('scripts/demo.ts', ['--instance', '5']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown option --instance');
    expect(result.sideEffects).toEqual([]);
  });
});

/** Each entry point: its usage line, and one wrong flag with the message that names it. */
const SCRIPTS: { entry: string; usage: string; wrong: string[]; message: string }[] = [
  {
    entry: 'scripts/local-stack.ts',
    usage: 'npm run up --',
    wrong: ['--workers', 'x'],
    message: '--workers must be a whole number, got "x"',
  },
  {
    entry: 'scripts/bench-e2e.ts',
    usage: 'npm run bench:e2e --',
    wrong: ['--max-unavailable', '101'],
    message: '--max-unavailable must be at most 100, got "101"',
  },
  {
    entry: 'scripts/sign-artifact.ts',
    usage: 'npm run sign-artifact -- <keygen|sign|verify> [FILE]',
    wrong: ['keygen', '--key', 'k.pem'],
    message: '--key does not apply to keygen',
  },
  {
    entry: 'apps/fleet-sim/src/main.ts',
    usage: 'npm run start:fleet-sim --',
    wrong: ['--port', '70000'],
    message: '--port must be at most 65535, got "70000"',
  },
  {
    entry: 'apps/orchestrator/bench/orchestrator.bench.ts',
    usage: 'npm run bench:orchestrator --',
    wrong: ['--executions', 'many'],
    message: '--executions must be a whole number, got "many"',
  },
  {
    entry: 'apps/registry/bench/path-validation.bench.ts',
    usage: 'npm run bench:registry --',
    wrong: ['--duration', '0'],
    message: '--duration must be at least 1, got "0"',
  },
  {
    entry: 'libs/kafka-broker/bench/broker.bench.ts',
    usage: 'npm run bench:broker --',
    wrong: ['--fsync', 'sometimes'],
    message: '--fsync must be one of always, interval, never, got "sometimes"',
  },
  {
    entry: 'libs/messaging/bench/outbox-relay.bench.ts',
    usage: 'npm run bench:outbox --',
    wrong: ['--backlog'],
    message: '--backlog needs a value',
  },
];

describe.each(SCRIPTS)('$entry', ({ entry, usage, wrong, message }) => {
  it('prints its options on -h and exits 0, starting nothing', async () => {
    const result = await runEntry(entry, ['-h']);
    expect(result.code).toBe(0);
    expect(result.stdout.startsWith(`usage: ${usage}`)).toBe(true);
    expect(result.stdout).toMatch(/\noptions:\n/);
    expect(result.stdout).toMatch(/-h, --help +print this help and exit/);
    expect(result.sideEffects).toEqual([]);
  });

  it(`refuses ${wrong.join(' ')} naming the flag, exits 2 and starts nothing`, async () => {
    const result = await runEntry(entry, wrong);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.sideEffects).toEqual([]);
  });
});
