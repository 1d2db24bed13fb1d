import { spawn } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import {
  captureServiceLogs,
  formatBanner,
  formatLauncherEvent,
  formatServiceLine,
  formatServiceStarted,
  resolveLogFormat,
} from './service-log';

const pino = (level: number, msg: string, fields: Record<string, unknown> = {}) =>
  JSON.stringify({
    level,
    time: 1796185037259,
    pid: 42,
    hostname: 'vm',
    name: 'orchestrator',
    msg,
    ...fields,
  });

describe('formatServiceLine', () => {
  it('leaves info and debug lines to the log file', () => {
    expect(
      formatServiceLine('registry', pino(30, 'request completed', { res: { statusCode: 200 } })),
    ).toBeNull();
    expect(formatServiceLine('registry', pino(20, 'query'))).toBeNull();
    expect(formatServiceLine('registry', '')).toBeNull();
  });

  it('shows a warning as one line: service, level, message and its own fields, without pino bookkeeping', () => {
    const line = formatServiceLine('orchestrator', pino(40, 'registry slow', { url: 'http://x', ms: 812 }));
    expect(line).toBe('⚠ orchestrator  WARN  registry slow  url=http://x ms=812');
  });

  it("shows an error with its error's type and message on one line, long values cut short", () => {
    const err = {
      type: 'Error',
      message: 'connect ECONNREFUSED\n127.0.0.1:5432',
      stack: 'Error: …\n    at x',
    };
    const line = formatServiceLine('worker-1', pino(50, 'lease failed', { err, detail: 'x'.repeat(300) }));
    expect(line).toMatch(
      /^✗ worker-1 {6}ERROR lease failed {2}Error: connect ECONNREFUSED 127\.0\.0\.1:5432 {2}detail=/,
    );
    expect(line).not.toContain('\n');
    expect(line).not.toContain('at x');
    expect(line?.length).toBeLessThan(250);
    expect(line).toMatch(/detail=x+…$/);
  });

  it('reads levels written as labels', () => {
    const line = JSON.stringify({
      level: 'fatal',
      msg: 'registry failed to start',
      error: 'AUTH_JWT_SECRET is missing',
    });
    expect(formatServiceLine('registry', line)).toBe(
      '✗ registry      FATAL registry failed to start  error=AUTH_JWT_SECRET is missing',
    );
    expect(formatServiceLine('registry', JSON.stringify({ level: 'info', msg: 'listening' }))).toBeNull();
  });

  it('shows a line that is not JSON (a stack trace, a runtime warning) as it is, under the service name', () => {
    expect(formatServiceLine('fleet-sim', '    at main (apps/fleet-sim/src/main.ts:9:3)')).toBe(
      '  fleet-sim         at main (apps/fleet-sim/src/main.ts:9:3)',
    );
  });
});

describe('launcher lines', () => {
  it('prints one aligned line per started service', () => {
    expect(formatServiceStarted('registry', 'http://localhost:8085', 1.234)).toBe(
      '✓ registry      http://localhost:8085  (1.2 s)',
    );
    expect(formatServiceStarted('orchestrator', 'http://localhost:8084')).toBe(
      '✓ orchestrator  http://localhost:8084',
    );
  });

  it("prints the launcher's own events as one line with their fields", () => {
    expect(formatLauncherEvent('stopping the local stack')).toBe('· stopping the local stack');
    expect(formatLauncherEvent('service stopped', { service: 'worker-1', code: 0 })).toBe(
      '· service stopped  service=worker-1 code=0',
    );
  });

  it('aligns the banner rows', () => {
    expect(
      formatBanner('local stack up', [
        ['API', 'http://localhost:8084'],
        ['logs', '.data/logs/<service>.log'],
      ]),
    ).toBe('local stack up\n  API   http://localhost:8084\n  logs  .data/logs/<service>.log');
  });

  it('is pretty on a terminal and JSON elsewhere, unless LOG_FORMAT says otherwise', () => {
    expect(resolveLogFormat(undefined, true)).toBe('pretty');
    expect(resolveLogFormat(undefined, false)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });
});

describe('captureServiceLogs', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'upshift-service-log-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("writes all of a child's stdout and stderr to <dir>/<service>.log and shows only what a person needs", async () => {
    const logs = path.join(dir, 'logs');
    // A log from an earlier run is replaced, not appended to.
    const file = path.join(logs, 'registry.log');
    const script = [
      `console.log(${JSON.stringify(pino(30, 'listening'))});`,
      `console.log(${JSON.stringify(pino(40, 'slow query', { ms: 900 }))});`,
      `console.error('plain stderr line');`,
      `console.log(${JSON.stringify(pino(30, 'request completed'))});`,
    ].join('\n');
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const shown: string[] = [];
    const capture = captureServiceLogs(child, 'registry', logs, (line) => shown.push(line));
    expect(capture.file).toBe(file);
    await capture.closed;

    const written = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(written).toHaveLength(4);
    expect(written).toEqual(
      expect.arrayContaining([
        pino(30, 'listening'),
        pino(40, 'slow query', { ms: 900 }),
        'plain stderr line',
        pino(30, 'request completed'),
      ]),
    );
    expect(shown.sort()).toEqual([
      '  registry      plain stderr line',
      '⚠ registry      WARN  slow query  ms=900',
    ]);
  });

  it('replaces the file of an earlier run', async () => {
    const file = path.join(dir, 'worker-1.log');
    writeFileSync(file, 'old run\n');
    const child = spawn(process.execPath, ['-e', 'console.log("new run")'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await captureServiceLogs(child, 'worker-1', dir, () => undefined).closed;
    expect(readFileSync(file, 'utf8')).toBe('new run\n');
  });
});
