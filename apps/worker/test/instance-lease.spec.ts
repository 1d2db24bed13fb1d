import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import {
  CommandOutcome,
  InstanceCommandType,
  InstanceStep,
  type InstanceCommandResult,
} from '@upshift/contracts';
import { createTestRedis, type TestRedis } from '@upshift/testing';
import { ResultCache } from '../src/commands/result-cache';
import { InstanceLease, InstanceLeases } from '../src/lease/instance-lease';

/** The lease, result-cache and fencing scripts against a real Redis (ADR 0052, ADR 0082). */
describe('instance leases with stored results', () => {
  let redis: TestRedis;
  let client: Redis;
  let leases: InstanceLeases;
  let other: InstanceLeases;
  let results: ResultCache;

  const result = (commandId: string): InstanceCommandResult => ({
    commandId,
    executionId: '7d0c1c9e-5f0a-4a39-9a55-0d1f7f1b2c3d',
    tenantId: '550e8400',
    instanceId: 'b5c1f0de-8d5e-4f3e-9a63-7e1b9c0d2a41',
    type: InstanceCommandType.ROLLBACK,
    fencingToken: 7,
    steps: [
      {
        step: InstanceStep.ROLLBACK,
        outcome: CommandOutcome.SUCCEEDED,
        reason: null,
        observedVersion: '1.0.0',
        startedAt: '2026-12-01T22:00:00.000Z',
        finishedAt: '2026-12-01T22:00:00.010Z',
      },
    ],
    final: true,
    workerId: 'worker-a',
  });

  beforeAll(async () => {
    redis = await createTestRedis('lease');
    client = new Redis(redis.url);
    leases = new InstanceLeases(client, { ttlMs: 10_000, prefix: redis.prefix, holder: 'worker-a' });
    other = new InstanceLeases(client, { ttlMs: 10_000, prefix: redis.prefix, holder: 'worker-b' });
    results = new ResultCache(redis.prefix, 60);
  });

  afterAll(async () => {
    await client?.quit();
    await redis?.cleanup();
  });

  it('grants a free lease, and refuses it to another holder until it is released', async () => {
    const lease = await leases.acquire('i-1', { storedKey: results.key('c-1') });
    expect(lease).toBeInstanceOf(InstanceLease);
    expect(await other.tryAcquire('i-1')).toBeNull();
    expect(await (lease as InstanceLease).release()).toBe(true);
    const next = await other.tryAcquire('i-1');
    expect(next).not.toBeNull();
    await next?.release();
  });

  it('stores the result and frees the instance in one release; the next delivery gets the result, not the lease', async () => {
    const lease = (await leases.acquire('i-2', { storedKey: results.key('c-2') })) as InstanceLease;
    expect(await lease.release(results.entry(result('c-2')))).toBe(true);
    expect(await client.get(lease.key)).toBeNull();
    expect(await client.ttl(results.key('c-2'))).toBeGreaterThan(0);

    const again = await other.acquire('i-2', { storedKey: results.key('c-2') });
    expect(again).not.toBeInstanceOf(InstanceLease);
    expect(results.parse((again as { stored: string }).stored)).toEqual(result('c-2'));
    expect(await client.get(leases.key('i-2'))).toBeNull(); // answering from the result took no lease
  });

  it('waits for a held lease and looks for the result on every try', async () => {
    const held = (await other.tryAcquire('i-3')) as InstanceLease;
    const waits: (string | null)[] = [];
    const waiting = leases.acquire('i-3', { storedKey: results.key('c-3'), onWait: (h) => waits.push(h) });
    await sleep(150);
    // The holder finishes this very command: the waiter gets its result, not a second run.
    await held.release(results.entry(result('c-3')));
    const outcome = await waiting;
    expect(outcome).not.toBeInstanceOf(InstanceLease);
    expect(results.parse((outcome as { stored: string }).stored).commandId).toBe('c-3');
    expect(waits).toEqual([held.token]);
  });

  it('does not delete a lease another holder took over, but still stores the result', async () => {
    const mine = (await leases.tryAcquire('i-4')) as InstanceLease;
    await client.set(mine.key, 'worker-b:taken-over', 'PX', 10_000); // as if mine had expired
    expect(await mine.release(results.entry(result('c-4')))).toBe(false);
    expect(await client.get(mine.key)).toBe('worker-b:taken-over');
    expect(await client.get(results.key('c-4'))).not.toBeNull();
  });

  it('returns null without a lease when the wait is aborted', async () => {
    const held = (await other.tryAcquire('i-5')) as InstanceLease;
    const abort = new AbortController();
    const waiting = leases.acquire('i-5', { signal: abort.signal });
    abort.abort();
    expect(await waiting).toBeNull();
    await held.release();
  });

  it('refuses a fencing token older than the newest seen, lets equal and newer ones through, and keeps the newest', async () => {
    const first = (await leases.acquire('i-6', { fencingToken: 5 })) as InstanceLease;
    expect(first).toBeInstanceOf(InstanceLease);
    await first.release();
    // A stored result still wins: a finished command is re-reported whatever its token.
    await client.set(results.key('c-6'), JSON.stringify(result('c-6')));
    expect(await other.acquire('i-6', { fencingToken: 3, storedKey: results.key('c-6') })).toHaveProperty(
      'stored',
    );
    expect(await other.acquire('i-6', { fencingToken: 4 })).toEqual({ staleBehind: 5 });
    expect(await client.get(leases.key('i-6'))).toBeNull(); // a refusal takes no lease
    const same = (await other.acquire('i-6', { fencingToken: 5 })) as InstanceLease;
    expect(same).toBeInstanceOf(InstanceLease);
    await same.release();
    const newer = (await leases.acquire('i-6', { fencingToken: 9 })) as InstanceLease;
    await newer.release();
    expect(await client.get(leases.fenceKey('i-6'))).toBe('9');
    expect(await client.ttl(leases.fenceKey('i-6'))).toBeGreaterThan(0);
    expect(await other.acquire('i-6', { fencingToken: 5 })).toEqual({ staleBehind: 9 });
  });

  it('a newer token seen while a command waits for the lease refuses older waiters: workers racing on tokens', async () => {
    const instances = Array.from({ length: 40 }, (_, i) => `race-${i}`);
    const granted = new Map<string, number[]>(instances.map((id) => [id, []]));
    const refused = new Map<string, { token: number; staleBehind: number }[]>(
      instances.map((id) => [id, []]),
    );
    // Worker A and worker B each get a command for every instance, with tokens 1 and 2, in either order.
    const run = async (by: InstanceLeases, instanceId: string, token: number) => {
      const gate = await by.acquire(instanceId, { fencingToken: token, maxPollMs: 20 });
      if (gate instanceof InstanceLease) {
        granted.get(instanceId)?.push(token);
        await sleep(5);
        await gate.release();
      } else if (gate && 'staleBehind' in gate) {
        refused.get(instanceId)?.push({ token, staleBehind: gate.staleBehind });
      }
    };
    await Promise.all(
      instances.flatMap((id, i) =>
        i % 2 === 0 ? [run(leases, id, 1), run(other, id, 2)] : [run(other, id, 2), run(leases, id, 1)],
      ),
    );
    for (const id of instances) {
      const order = granted.get(id) ?? [];
      // Never the older token after the newer one: 1 then 2, or 2 alone with 1 refused behind it.
      expect([id, order]).toEqual([id, order.length === 2 ? [1, 2] : [2]]);
      expect(refused.get(id)).toEqual(order.length === 2 ? [] : [{ token: 1, staleBehind: 2 }]);
    }
  });
});
