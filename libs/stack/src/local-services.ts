import { spawn, type ChildProcess } from 'child_process';
import { createServer } from 'net';
import { join, resolve } from 'path';

export const REPO_ROOT = join(__dirname, '..', '..', '..');

/** A free TCP port on 127.0.0.1 (bound and released; fine for a local stack). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  /** The last lines it printed (for error messages). */
  tail(): string;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  kill(): Promise<void>;
}

/**
 * Runs one of the repository's TypeScript entry points as its own process (`node -r @swc-node/register
 * <entry>`, as the npm start scripts do). Its output is kept (last 200 lines) and, when `echo` is set,
 * written to the parent's stderr with a prefix.
 */
export function startServiceProcess(
  name: string,
  entry: string,
  env: Record<string, string>,
  { echo = false }: { echo?: boolean } = {},
): ServiceProcess {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', resolve(REPO_ROOT, entry)], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (line === '') continue;
      lines.push(line);
      if (lines.length > 200) lines.shift();
      if (echo) process.stderr.write(`[${name}] ${line}\n`);
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const running = () => child.exitCode === null && child.signalCode === null;
  // Whatever happens to the parent (an exception, process.exit, a signal handled by exiting), its
  // services must not outlive it.
  const killOnExit = () => {
    if (running()) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      process.off('exit', killOnExit);
      resolve(code);
    }),
  );
  return {
    name,
    child,
    exited,
    tail: () => lines.slice(-30).join('\n'),
    async stop(graceMs = 10_000) {
      if (!running()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => running() && child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (!running()) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Polls `url` until it answers 2xx; fails with the service's last output when it exits or times out. */
export async function waitUntilReady(
  url: string,
  service: ServiceProcess,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void service.exited.then(() => (exited = true));
  for (;;) {
    if (exited) throw new Error(`${service.name} exited during start-up:\n${service.tail()}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`${service.name} not ready at ${url} after ${timeoutMs} ms:\n${service.tail()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
