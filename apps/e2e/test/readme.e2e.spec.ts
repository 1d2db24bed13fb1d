import { execFile, spawn } from 'child_process';
import type { ChildProcess } from 'child_process';
import { readFileSync } from 'fs';
import * as path from 'path';
import { createTestDatabase } from '@upshift/testing';
import type { TestDatabase } from '@upshift/testing';
import { REPO_ROOT } from '@upshift/stack';

/**
 * The README's local-stack example, run as written: `npm run up` on a fresh database, then the bash
 * block under the `readme-example: local-stack` marker, verbatim. If the README drifts from the product
 * (a path, a field, a token, a jq filter), this fails. It uses the README's fixed ports (8084, 8085,
 * 8090, 9092), so nothing else on the machine may hold them.
 */
const README = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');

/** The first ```bash block after `<!-- readme-example: NAME`. */
function exampleBlock(name: string): string {
  const marker = README.indexOf(`<!-- readme-example: ${name}`);
  if (marker < 0) throw new Error(`README.md has no readme-example marker "${name}"`);
  const match = /```bash\n([\s\S]*?)```/.exec(README.slice(marker));
  if (match?.[1] === undefined) throw new Error(`no bash block after the readme-example marker "${name}"`);
  return match[1];
}

function bash(script: string, timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-euo', 'pipefail', '-c', script],
      { cwd: REPO_ROOT, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('README, as a new user follows it (e2e)', () => {
  let db: TestDatabase;
  let up: ChildProcess;
  let upOutput = '';

  beforeAll(async () => {
    db = await createTestDatabase('readme');
    // What the README's reader has: the defaults (embedded broker, a session secret), on a fresh database.
    const unset = new Set(['KAFKA_BROKERS', 'AUTH_JWT_SECRET', 'UP_WORKERS', 'UP_FLEET_INSTANCES']);
    const env: NodeJS.ProcessEnv = {
      ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !unset.has(key))),
      DATABASE_URL: db.url,
      LOG_FORMAT: 'json',
    };
    up = spawn(process.execPath, ['-r', '@swc-node/register', 'scripts/local-stack.ts'], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`npm run up was not up within 150 s:\n${upOutput.slice(-3000)}`)),
        150_000,
      );
      const onData = (chunk: Buffer) => {
        upOutput += chunk.toString();
        if (upOutput.includes('"msg":"local stack up')) {
          clearTimeout(timer);
          resolve();
        }
      };
      up.stdout?.on('data', onData);
      up.stderr?.on('data', onData);
      up.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`npm run up exited (${code}) before it was up:\n${upOutput.slice(-3000)}`));
      });
    });
  }, 180_000);

  afterAll(async () => {
    if (up && up.exitCode === null) {
      const exited = new Promise((resolve) => up.once('exit', resolve));
      up.kill('SIGTERM');
      await exited;
    }
    await db?.drop();
  }, 60_000);

  it('runs the local-stack example verbatim: the fleet ends COMPLETED, with transcript, statistics and events', async () => {
    const result = await bash(exampleBlock('local-stack'), 240_000);
    expect({ code: result.code, stderr: result.stderr.slice(-2000) }).toEqual({ code: 0, stderr: '' });
    const out = result.stdout;
    expect(out).toMatch(/^VALIDATING$/m);
    expect(out).toContain('"status": "COMPLETED"');
    expect(out).toContain('"completedInstances": 20');
    expect(out).toMatch(/Execution created by me@example\.com/);
    expect(out).toContain('"totalExecutions": 1');
    expect(out).toContain('{"type":"upshift.progress.ExecutionCreated","sequence":1}');
    expect(out).toContain('{"type":"upshift.progress.ExecutionStatusChanged"');
    // The token's subject, not the body's free text, is who acted.
    expect(out).toMatch(/pre-upgrade checks started by operator@550e8400/);
  }, 300_000);

  it('a second run of the same body answers 422 and says which version the instances are on', async () => {
    const block = exampleBlock('local-stack');
    // The README's own lines up to the body, then the same POST, showing the status and the problem.
    const setup = block.slice(0, block.indexOf('EX=$('));
    const result = await bash(
      `${setup}\ncurl -s -w '\\n%{http_code}' -X POST "$B/tenants/550e8400/upgrades" -H "$AUTH" -H 'content-type: application/json' -d "$BODY"`,
      60_000,
    );
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines.at(-1)).toBe('422');
    const problem = JSON.parse(lines.slice(0, -1).join('\n')) as { detail: string };
    expect(problem.detail).toMatch(/2\.1\.0 any more/);
    expect(problem.detail).toMatch(/2\.2\.2/);
  }, 120_000);

  it('mints a working token the way the Security section shows', async () => {
    const line = /`(AUTH_JWT_SECRET=… npm run -s token -- [^`]+)`/.exec(README)?.[1];
    expect(line).toBeDefined();
    const secret = 'a-readme-secret-of-at-least-32-bytes!!';
    const result = await bash(
      (line ?? '').replace('AUTH_JWT_SECRET=…', `AUTH_JWT_SECRET='${secret}'`),
      60_000,
    );
    expect(result.code).toBe(0);
    const [, payload] = result.stdout.trim().split('.');
    expect(JSON.parse(Buffer.from(payload ?? '', 'base64url').toString())).toMatchObject({
      sub: 'alice',
      tenants: ['550e8400'],
      roles: ['operator'],
    });
  }, 90_000);
});
