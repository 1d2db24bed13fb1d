import { execFile } from 'child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { connect } from 'net';
import { dirname, join } from 'path';
import { promisify } from 'util';
import Redis from 'ioredis';
import { Client } from 'pg';
import { httpOk, pollUntil, SupervisedProcess } from './supervised-process';

const run = promisify(execFile);
const PG_BIN = process.env['CHAOS_PG_BIN'] ?? '/usr/lib/postgresql/15/bin';

/**
 * A Postgres cluster of the run's own (initdb into a temporary directory, trust auth, fsync off), so
 * that the harness may shut it down immediately (`pg_ctl stop -m immediate`: crash recovery at the next
 * start) without touching the machine's Postgres. initdb refuses root: as root, the cluster belongs to
 * the `postgres` user and its tools run through runuser.
 */
export class PostgresCluster {
  readonly dataDir: string;
  private readonly asRoot = process.getuid?.() === 0;
  /**
   * A kill's restart may be under way, or still to come, when the harness stops (Ctrl-C lands mid-run):
   * stop() waits for a start in flight and refuses later ones, or the postmaster outlives the harness.
   */
  private starting: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly workDir: string,
    readonly port: number,
    readonly logFile: string,
  ) {
    this.dataDir = join(workDir, 'pgdata');
  }

  get adminUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  databaseUrl(name: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${name}`;
  }

  private async tool(name: string, args: string[]): Promise<void> {
    const binary = join(PG_BIN, name);
    const [command, argv] = this.asRoot
      ? ['runuser', ['-u', 'postgres', '--', binary, ...args]]
      : [binary, args];
    await run(command, argv, { timeout: 120_000 }).catch((error: Error & { stderr?: string }) => {
      throw new Error(`${name} ${args[0] ?? ''} failed: ${error.stderr ?? error.message}`);
    });
  }

  async init(): Promise<void> {
    mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    if (this.asRoot) {
      // The run's work directory (mkdtemp: 0700) must let the postgres user through to its own.
      chmodSync(dirname(this.workDir), 0o711);
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: gid } = await run('id', ['-g', 'postgres']);
      chownSync(this.workDir, Number(stdout.trim()), Number(gid.trim()));
      chownSync(this.dataDir, Number(stdout.trim()), Number(gid.trim()));
      // pg_ctl writes the server's log as the postgres user.
      writeFileSync(this.logFile, '', { flag: 'a' });
      chownSync(this.logFile, Number(stdout.trim()), Number(gid.trim()));
    }
    await this.tool('initdb', [
      '-D',
      this.dataDir,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--no-sync',
    ]);
  }

  async start(): Promise<void> {
    if (this.stopped) throw new Error('the Postgres cluster was stopped; it is not started again');
    const starting = this.startServer();
    this.starting = starting;
    try {
      await starting;
    } finally {
      if (this.starting === starting) this.starting = null;
    }
  }

  private async startServer(): Promise<void> {
    const options = [
      `-p ${this.port}`,
      '-c listen_addresses=127.0.0.1',
      `-c unix_socket_directories=${this.workDir}`,
      // Safe for a process crash (written WAL is in the page cache); synchronous_commit must stay on,
      // or an immediate shutdown loses commits the orchestrator was told had happened.
      '-c fsync=off',
      '-c full_page_writes=off',
      '-c max_connections=300',
    ].join(' ');
    await this.tool('pg_ctl', [
      'start',
      '-D',
      this.dataDir,
      '-l',
      this.logFile,
      '-o',
      options,
      '-w',
      '-t',
      '120',
    ]);
  }

  /** An immediate shutdown: backends die without a checkpoint, the next start replays the WAL. */
  async crash(): Promise<void> {
    await this.tool('pg_ctl', ['stop', '-D', this.dataDir, '-m', 'immediate', '-w', '-t', '60']);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.starting?.catch(() => undefined);
    await this.tool('pg_ctl', ['stop', '-D', this.dataDir, '-m', 'fast', '-w', '-t', '60']).catch(
      () => undefined,
    );
  }

  async createDatabase(name: string): Promise<string> {
    const client = new Client({ connectionString: this.adminUrl, connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE "${name}"`);
    } finally {
      await client.end();
    }
    return this.databaseUrl(name);
  }
}

/**
 * redis-server on a free port with an append-only file fsynced on every write in its own directory:
 * a SIGKILL loses nothing BullMQ wrote, so the orchestrator's timers survive a Redis restart (ADR 0083).
 */
export function redisProcess(dir: string, port: number, logFile: string): SupervisedProcess {
  mkdirSync(dir, { recursive: true });
  return new SupervisedProcess(
    'redis',
    () => ({
      command: 'redis-server',
      args: [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
        '--daemonize',
        'no',
      ],
    }),
    (self) =>
      pollUntil(self, 'PING', async () => {
        const client = new Redis({
          port,
          host: '127.0.0.1',
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          retryStrategy: () => null,
        });
        client.on('error', () => undefined);
        try {
          await client.connect();
          return (await client.ping()) === 'PONG';
        } finally {
          client.disconnect();
        }
      }),
    logFile,
  );
}

/** The repository's embedded Kafka broker as its own process (`npm run broker`), data kept in `dataDir`. */
export function brokerProcess(dataDir: string, port: number, logFile: string): SupervisedProcess {
  return new SupervisedProcess(
    'broker',
    () => ({
      command: process.execPath,
      args: [
        '-r',
        '@swc-node/register',
        'libs/kafka-broker/src/cli.ts',
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '--data-dir',
        dataDir,
        '--partitions',
        '3',
        '--log-level',
        'warn',
      ],
    }),
    (self) => pollUntil(self, 'a TCP connection', () => tcpOpen(port)),
    logFile,
  );
}

/** One of the repository's Node services (`node -r @swc-node/register <entry>`), ready at `readyUrl`. */
export function nodeService(
  name: string,
  entry: string,
  env: () => Record<string, string>,
  readyUrl: string,
  logFile: string,
): SupervisedProcess {
  return new SupervisedProcess(
    name,
    (extra) => ({
      command: process.execPath,
      args: ['-r', '@swc-node/register', entry],
      env: { ...env(), ...extra },
    }),
    (self) => pollUntil(self, readyUrl, () => httpOk(readyUrl), 180_000),
    logFile,
  );
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export function makeWorkDir(parent: string, prefix: string): string {
  mkdirSync(parent, { recursive: true });
  return mkdtempSync(join(parent, prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
