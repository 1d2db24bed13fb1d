import { spawn } from 'child_process';
import type { ChildProcess } from 'child_process';
import { freePort } from '@upshift/stack';

/** A redis-server of the test's own, on a free port, that the test may stop to simulate an outage. */
export interface PrivateRedis {
  port: number;
  url: string;
  /** SIGKILLs the server (idempotent) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts `redis-server` (from PATH) on `port` (a free loopback port by default) without persistence, and
 * resolves once it accepts connections. For tests of Redis outages: the shared Redis must never be
 * stopped. Starting again on a stopped one's port brings "the same" Redis back (empty).
 */
export async function startPrivateRedis(port?: number): Promise<PrivateRedis> {
  port ??= await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve();
    };
    child.stdout?.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) =>
      reject(new Error(`redis-server exited (${code}) before it was ready: ${output}`)),
    );
  });
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
