import { execFile, spawnSync } from 'child_process';
import { parseWrkOutput, type WrkFigures } from './wrk-output';

/** The load every cross-machine figure here is measured with: Debian's `wrk -t2 -c32 -d10s`. */
export const WRK_DEFAULTS = { threads: 2, connections: 32, durationSeconds: 10 } as const;

export interface WrkRun {
  url: string;
  threads?: number;
  connections?: number;
  durationSeconds?: number;
  /** Sent with every request, e.g. `{ authorization: 'Bearer …' }`. */
  headers?: Record<string, string>;
}

export class WrkMissingError extends Error {
  override name = 'WrkMissingError';
  constructor() {
    super('this benchmark needs wrk on the PATH: install the Debian package, `apt-get install -y wrk`');
  }
}

let wrkChecked = false;

/** Fails with the package to install when wrk is not there, before a bench starts anything. */
export function requireWrk(): void {
  if (wrkChecked) return;
  const probe = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  // wrk --version exits 1 after printing its banner; only "not found" matters here.
  if (probe.error) throw new WrkMissingError();
  wrkChecked = true;
}

/** Runs wrk once against `url` (with `--latency`) and returns what it measured. */
export function runWrk(run: WrkRun): Promise<WrkFigures> {
  requireWrk();
  const threads = run.threads ?? WRK_DEFAULTS.threads;
  const connections = run.connections ?? WRK_DEFAULTS.connections;
  const duration = run.durationSeconds ?? WRK_DEFAULTS.durationSeconds;
  const args = [`-t${threads}`, `-c${connections}`, `-d${duration}s`, '--latency'];
  for (const [name, value] of Object.entries(run.headers ?? {})) args.push('-H', `${name}: ${value}`);
  args.push(run.url);
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { timeout: (duration + 30) * 1000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`wrk ${run.url} failed: ${error.message}\n${stderr}${stdout}`));
      try {
        resolve(parseWrkOutput(stdout));
      } catch (parseError) {
        reject(parseError instanceof Error ? parseError : new Error(String(parseError)));
      }
    });
  });
}

/** `25,310 req/s, p50 1.02 ms, p99 4.10 ms` (plus errors, when there were any). */
export function formatWrkFigures(figures: WrkFigures): string {
  const errors = Object.values(figures.socketErrors).reduce((a, b) => a + b, 0);
  const problems = [
    figures.non2xx > 0 ? `${figures.non2xx} non-2xx` : '',
    errors > 0 ? `${errors} socket errors` : '',
  ].filter((p) => p !== '');
  return (
    `${Math.round(figures.requestsPerSec).toLocaleString('en-US')} req/s, ` +
    `p50 ${figures.latencyMs.p50.toFixed(2)} ms, p99 ${figures.latencyMs.p99.toFixed(2)} ms` +
    (problems.length > 0 ? ` (${problems.join(', ')})` : '')
  );
}
