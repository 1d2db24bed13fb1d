import { createServer, type Server, type Socket } from 'net';
import Redis from 'ioredis';
import { startPrivateRedis, type PrivateRedis } from '@upshift/testing';
import { InstanceLease, InstanceLeases, type LeaseLoss } from '../src/lease/instance-lease';
import { WORKER_REDIS_COMMAND_TIMEOUT_MS, workerRedisOptions } from '../src/redis-options';
import { connectRedis } from '../src/worker';
import pino from 'pino';

jest.setTimeout(30_000);

const TTL_MS = 1_500;

/**
 * The worker's Redis client and instance leases when Redis goes away (ADR 0079), against a redis-server
 * of the test's own that it stops.
 */
describe('worker Redis outage', () => {
  let redis: PrivateRedis;
  let client: Redis;
  let leases: InstanceLeases;

  beforeEach(async () => {
    redis = await startPrivateRedis();
    client = new Redis(redis.url, { ...workerRedisOptions(), lazyConnect: true });
    client.on('error', () => undefined);
    await client.connect();
    leases = new InstanceLeases(client, { ttlMs: TTL_MS, prefix: 'outage', holder: 'worker-a' });
  });

  afterEach(async () => {
    client.disconnect();
    await redis.stop();
  });

  it('a command fails within the bound instead of waiting for Redis to come back', async () => {
    expect(await client.ping()).toBe('PONG');
    await redis.stop();
    const started = Date.now();
    await expect(client.ping()).rejects.toThrow();
    await expect(client.get('anything')).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(WORKER_REDIS_COMMAND_TIMEOUT_MS + 1_000);
  });

  it('a Redis that accepts connections but never answers: a command fails within the bound', async () => {
    // A hung server: TCP connects, nothing is ever replied (ioredis never gets past its ready check).
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const hung = new Redis(`redis://127.0.0.1:${port}`, workerRedisOptions());
    hung.on('error', () => undefined);
    try {
      const started = Date.now();
      const outcome = await Promise.race([
        hung.set('k', 'v').then(
          () => 'answered',
          () => 'failed',
        ),
        new Promise((resolve) => setTimeout(() => resolve('hung'), WORKER_REDIS_COMMAND_TIMEOUT_MS + 1_000)),
      ]);
      expect(outcome).toBe('failed');
      expect(Date.now() - started).toBeLessThan(WORKER_REDIS_COMMAND_TIMEOUT_MS + 1_000);
    } finally {
      hung.disconnect();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('a lease that cannot be renewed is given up before it would expire, with the renewal error', async () => {
    const lease = (await leases.tryAcquire('i-1')) as InstanceLease;
    expect(lease).toBeInstanceOf(InstanceLease);
    const acquiredAt = Date.now();
    const renewErrors: unknown[] = [];
    const lost = new Promise<{ loss: LeaseLoss; at: number }>((resolve) =>
      lease.keepAlive(
        (loss) => resolve({ loss, at: Date.now() }),
        (error) => renewErrors.push(error),
      ),
    );
    await redis.stop();
    const { loss, at } = await lost;
    expect(loss.reason).toBe('unrenewable');
    expect(loss.reason === 'unrenewable' ? loss.error : null).toBeInstanceOf(Error);
    expect(renewErrors.length).toBeGreaterThan(0);
    expect(lease.isLost).toBe(true);
    // Given up while the key could still be ours: no other worker could have taken the instance yet.
    expect(at - acquiredAt).toBeLessThan(TTL_MS);
  });

  it('a lease taken over by another holder is reported lost at the next renewal', async () => {
    const lease = (await leases.tryAcquire('i-2')) as InstanceLease;
    const lost = new Promise<LeaseLoss>((resolve) => lease.keepAlive(resolve));
    await client.set(lease.key, 'worker-b:someone-else');
    expect(await lost).toEqual({ reason: 'taken' });
    expect(await lease.release()).toBe(false);
    expect(await client.get(lease.key)).toBe('worker-b:someone-else');
  });

  it('renewals keep a healthy lease alive past its TTL', async () => {
    const lease = (await leases.tryAcquire('i-3')) as InstanceLease;
    const losses: LeaseLoss[] = [];
    lease.keepAlive((loss) => losses.push(loss));
    await new Promise((resolve) => setTimeout(resolve, TTL_MS * 2));
    expect(losses).toEqual([]);
    expect(await client.get(lease.key)).toBe(lease.token);
    expect(await lease.release()).toBe(true);
  });

  it('fencing fails closed: without Redis a fenced acquire neither leases nor passes, it fails', async () => {
    const first = (await leases.acquire('i-4', { fencingToken: 3 })) as InstanceLease;
    expect(first).toBeInstanceOf(InstanceLease);
    await first.release();
    await redis.stop();
    await expect(leases.acquire('i-4', { fencingToken: 4 })).rejects.toThrow();
  });

  it('a worker starting while Redis is down waits for it, and connects once it is back', async () => {
    const port = Number(new URL(redis.url).port);
    await redis.stop();
    const starting = new Redis(redis.url, { ...workerRedisOptions(), lazyConnect: true });
    starting.on('error', () => undefined);
    let connected = false;
    const connecting = connectRedis(starting, pino({ level: 'silent' })).then(() => (connected = true));
    try {
      // Down for a while: still waiting, not failed.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(connected).toBe(false);
      redis = await startPrivateRedis(port);
      await connecting;
      expect(await starting.ping()).toBe('PONG');
    } finally {
      starting.disconnect();
    }
  });

  it('a worker gives up starting when Redis stays down past the wait', async () => {
    await redis.stop();
    const starting = new Redis(redis.url, { ...workerRedisOptions(), lazyConnect: true });
    starting.on('error', () => undefined);
    try {
      await expect(connectRedis(starting, pino({ level: 'silent' }), 1_000)).rejects.toThrow();
    } finally {
      starting.disconnect();
    }
  });
});
