import { randomBytes } from 'crypto';
import { Client } from 'pg';
import Redis from 'ioredis';

/**
 * The one test environment: real PostgreSQL and Redis, found from the same variables the services
 * read (DATABASE_URL, REDIS_URL) with the local defaults. A missing service fails the test file
 * loudly with the command that starts it; nothing here ever skips.
 */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export class MissingServiceError extends Error {
  constructor(service: string, url: string, cause: unknown, howToStart: string) {
    super(
      `${service} is not reachable at ${redactUrl(url)} (${cause instanceof Error ? cause.message : String(cause)}). ` +
        `The integration tests need a real ${service}; start it with: ${howToStart}`,
    );
    this.name = 'MissingServiceError';
  }
}

/** Replaces a password in a connection URL, so that URLs can go into error messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable url>';
  }
}

export function adminDatabaseUrl(): string {
  return process.env['DATABASE_URL'] ?? DEFAULT_DATABASE_URL;
}

export function redisUrl(): string {
  return process.env['REDIS_URL'] ?? DEFAULT_REDIS_URL;
}

function uniqueSuffix(): string {
  return `${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export interface TestDatabase {
  /** Connection URL of a database that exists only for this test file. */
  readonly url: string;
  readonly name: string;
  /** Drops the database, closing whatever connections are still open to it. */
  drop(): Promise<void>;
}

async function adminClient(): Promise<Client> {
  const url = adminDatabaseUrl();
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new MissingServiceError(
      'PostgreSQL',
      url,
      error,
      'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
    );
  }
  return client;
}

/** Creates an empty database for one test file; call `drop()` in afterAll. */
export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  const name = `upshift_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${uniqueSuffix()}`;
  const admin = await adminClient();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminDatabaseUrl(), name);
  return {
    url,
    name,
    async drop() {
      const client = await adminClient();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

export interface TestRedis {
  readonly url: string;
  /** A key prefix no other test file uses (pass it to BullMQ's `prefix`). */
  readonly prefix: string;
  readonly client: Redis;
  /** Deletes every key under the prefix and closes the client. */
  cleanup(): Promise<void>;
}

export async function createTestRedis(label = 'test'): Promise<TestRedis> {
  const url = redisUrl();
  // No reconnect loop: a test that loses Redis should fail, not wait.
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    throw new MissingServiceError(
      'Redis',
      url,
      error,
      'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log',
    );
  }
  const prefix = `upshift-test:${label}:${uniqueSuffix()}`;
  return {
    url,
    prefix,
    client,
    async cleanup() {
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await client.del(...keys);
      } while (cursor !== '0');
      await client.quit();
    },
  };
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  { timeoutMs = 10_000, intervalMs = 50, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? `: last error ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
