import { spawn } from 'child_process';
import { existsSync, readdirSync, statSync } from 'fs';
import { join, resolve } from 'path';
import { REPO_ROOT } from './local-services';

/** Where `npm run build:dashboard` writes and the orchestrator reads by default (its DASHBOARD_DIR). */
export const DASHBOARD_DIR = join(REPO_ROOT, 'dist', 'dashboard');

const DASHBOARD_SOURCE = join(REPO_ROOT, 'apps', 'dashboard');

/**
 * Builds the dashboard's static files when they are missing or older than their sources: a fresh clone
 * has none (they are git-ignored), the demo, `npm run up` and the browser tests want the page, and a
 * test run after an edit must not test the previous build. The build runs
 * `apps/dashboard/build-dashboard.ts` (Vite's JS API, once) as a child process, since Vite is an ES
 * module that Jest's module system cannot load. Resolves with whether it built.
 */
export async function ensureDashboardBuilt(directory = DASHBOARD_DIR): Promise<boolean> {
  const index = join(directory, 'index.html');
  if (existsSync(index) && newestSource() <= statSync(index).mtimeMs) return false;
  const child = spawn(
    process.execPath,
    ['-r', '@swc-node/register', resolve(REPO_ROOT, 'apps', 'dashboard', 'build-dashboard.ts')],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, NODE_ENV: 'production', DASHBOARD_DIR: directory },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((done, fail) => {
    child.on('error', fail);
    child.on('exit', done);
  });
  if (code !== 0) throw new Error(`building the dashboard failed (exit ${code}):\n${output}`);
  return true;
}

/** The newest modification time of the dashboard's sources (its page, its src/ and its build). */
function newestSource(): number {
  const newest = (path: string): number => {
    const stat = statSync(path);
    if (!stat.isDirectory()) return stat.mtimeMs;
    return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
  };
  return Math.max(
    ...['index.html', 'src', 'build-dashboard.ts'].map((name) => newest(join(DASHBOARD_SOURCE, name))),
  );
}
