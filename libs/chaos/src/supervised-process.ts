import { spawn, type ChildProcess } from 'child_process';
import { appendFileSync, createWriteStream, type WriteStream } from 'fs';
import { REPO_ROOT } from '@upshift/stack';

export interface ProcessSpec {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

/** How a process ended: by the harness's hand (`requested`) or on its own. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  requested: boolean;
  /** The last lines it printed, for telling a crash point from other deaths. */
  tail: string[];
}

/**
 * One service of the throw-away stack that the harness may SIGKILL and start again: each start appends
 * to the same log file (a marker line between lives), `ready` is awaited after each start, and a death
 * the harness did not ask for is reported to `onUnexpectedExit`.
 */
export class SupervisedProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<ProcessExit> | null = null;
  private requested = false;
  private log: WriteStream | null = null;
  private readonly tail: string[] = [];
  onUnexpectedExit: (exit: ProcessExit) => void = () => undefined;

  constructor(
    readonly name: string,
    private readonly spec: (extraEnv: Record<string, string>) => ProcessSpec,
    private readonly ready: (self: SupervisedProcess) => Promise<void>,
    readonly logFile: string,
  ) {}

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The last lines of its current life. */
  lastLines(): string {
    return this.tail.slice(-30).join('\n');
  }

  /** Starts it (with `extraEnv` on top of its environment for this life) and waits until it is ready. */
  async start(extraEnv: Record<string, string> = {}): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    const { command, args, env } = this.spec(extraEnv);
    appendFileSync(
      this.logFile,
      `--- ${new Date().toISOString()} chaos: starting ${this.name}${Object.keys(extraEnv).length > 0 ? ` with ${JSON.stringify(extraEnv)}` : ''}\n`,
    );
    this.log = createWriteStream(this.logFile, { flags: 'a' });
    this.tail.splice(0);
    this.requested = false;
    const child = spawn(command, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const log = this.log;
    const keep = (chunk: Buffer) => {
      // Output can still arrive after 'exit' (the pipes drain until 'close'); a stream ended by an
      // earlier path must not throw from here and take the harness down while it cleans up.
      if (!log.writableEnded) log.write(chunk);
      for (const line of chunk.toString().split('\n')) {
        if (line === '') continue;
        this.tail.push(line);
        if (this.tail.length > 200) this.tail.shift();
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const killOnExit = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    process.once('exit', killOnExit);
    this.exited = new Promise<ProcessExit>((resolve) =>
      child.once('exit', (code, signal) => {
        process.off('exit', killOnExit);
        const exit = { code, signal, requested: this.requested, tail: [...this.tail] };
        // The log ends when the pipes close, so that their last lines still reach it.
        child.once('close', () =>
          log.end(
            `--- ${new Date().toISOString()} chaos: ${this.name} exited (${signal ?? `code ${code}`})\n`,
          ),
        );
        if (!exit.requested) this.onUnexpectedExit(exit);
        resolve(exit);
      }),
    );
    await this.ready(this);
  }

  /** Fails when it died: for readiness loops. */
  assertAlive(): void {
    if (!this.running) throw new Error(`${this.name} exited during start-up:\n${this.lastLines()}`);
  }

  /** SIGKILL: no chance to clean up. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    const timer = setTimeout(() => {
      if (this.running) this.child?.kill('SIGKILL');
    }, graceMs);
    try {
      await this.signal('SIGTERM');
    } finally {
      clearTimeout(timer);
    }
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    if (!this.running || !this.child || !this.exited) return;
    this.requested = true;
    this.child.kill(signal);
    await this.exited;
  }
}

/** Polls `probe` until it resolves true; fails when the process dies or after `timeoutMs`. */
export async function pollUntil(
  process: SupervisedProcess,
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    process.assertAlive();
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline)
      throw new Error(`${process.name}: ${what} not reached after ${timeoutMs} ms:\n${process.lastLines()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export async function httpOk(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  return response.ok;
}
