import { Client } from 'pg';
import { createTestDatabase, createTestRedis, eventually, redactUrl } from './environment';

describe('test environment', () => {
  it('creates an isolated PostgreSQL database and drops it afterwards', async () => {
    const db = await createTestDatabase('env');
    const client = new Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ name: string }>('SELECT current_database() AS name');
    expect(rows[0]?.name).toBe(db.name);
    await client.end();
    await db.drop();

    const admin = new Client({ connectionString: db.url.replace(`/${db.name}`, '/postgres') });
    await admin.connect();
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [db.name]);
    await admin.end();
    expect(exists.rowCount).toBe(0);
  });

  it('gives each test file a Redis prefix and removes its keys on cleanup', async () => {
    const redis = await createTestRedis('env');
    await redis.client.set(`${redis.prefix}:a`, '1');
    const other = await createTestRedis('env');
    expect(other.prefix).not.toBe(redis.prefix);
    const probe = other.client.duplicate({ enableOfflineQueue: true });
    await redis.cleanup();
    expect(await probe.exists(`${redis.prefix}:a`)).toBe(0);
    await probe.quit();
    await other.cleanup();
  });

  it('fails loudly, naming the service and how to start it, when PostgreSQL is missing', async () => {
    const saved = process.env['DATABASE_URL'];
    process.env['DATABASE_URL'] = 'postgres://postgres@127.0.0.1:1/postgres';
    try {
      await expect(createTestDatabase('missing')).rejects.toThrow(
        /PostgreSQL is not reachable .*pg_ctlcluster/,
      );
    } finally {
      if (saved === undefined) delete process.env['DATABASE_URL'];
      else process.env['DATABASE_URL'] = saved;
    }
  });

  it('fails loudly when Redis is missing', async () => {
    const saved = process.env['REDIS_URL'];
    process.env['REDIS_URL'] = 'redis://127.0.0.1:1';
    try {
      await expect(createTestRedis('missing')).rejects.toThrow(/Redis is not reachable .*redis-server/);
    } finally {
      if (saved === undefined) delete process.env['REDIS_URL'];
      else process.env['REDIS_URL'] = saved;
    }
  });

  it('redacts passwords from URLs', () => {
    expect(redactUrl('postgres://u:secret@h:5432/d')).toBe('postgres://u:***@h:5432/d');
  });

  it('eventually returns the first defined value and times out with the condition named', async () => {
    let n = 0;
    await expect(eventually(() => (++n >= 3 ? n : undefined), { intervalMs: 1 })).resolves.toBe(3);
    await expect(
      eventually(() => undefined, { timeoutMs: 20, intervalMs: 5, what: 'nothing' }),
    ).rejects.toThrow(/waiting for nothing/);
  });
});
