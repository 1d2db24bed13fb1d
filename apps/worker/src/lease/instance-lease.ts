import { randomUUID } from 'crypto';
import type Redis from 'ioredis';

// Both scripts act only if the caller still holds the lease (its token), so a worker whose lease
// expired and was taken over can neither extend nor delete the new holder's lease.
const RENEW_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

export interface LeaseOptions {
  /** Lease lifetime; a crashed holder's lease frees itself after this long. */
  ttlMs: number;
  /** Key prefix, e.g. `upshift` → `upshift:lease:instance:<id>`. */
  prefix: string;
  holder: string;
}

/**
 * One command at a time per instance, across all workers: a Redis key per instance set with
 * SET NX PX and a random token, renewed while the command runs, released with compare-and-delete.
 */
export class InstanceLeases {
  constructor(
    private readonly redis: Redis,
    private readonly options: LeaseOptions,
  ) {}

  key(instanceId: string): string {
    return `${this.options.prefix}:lease:instance:${instanceId}`;
  }

  async tryAcquire(instanceId: string): Promise<InstanceLease | null> {
    const token = `${this.options.holder}:${randomUUID()}`;
    const key = this.key(instanceId);
    const set = await this.redis.set(key, token, 'PX', this.options.ttlMs, 'NX');
    if (set !== 'OK') return null;
    return new InstanceLease(this.redis, key, token, this.options.ttlMs);
  }

  /**
   * Waits for the lease, polling with backoff (up to `maxPollMs` between tries). Returns null when
   * `signal` aborts first.
   */
  async acquire(
    instanceId: string,
    {
      signal,
      maxPollMs = 1000,
      onWait,
    }: { signal?: AbortSignal; maxPollMs?: number; onWait?: (holder: string | null) => void } = {},
  ): Promise<InstanceLease | null> {
    let pollMs = 50;
    let reported = false;
    for (;;) {
      if (signal?.aborted) return null;
      const lease = await this.tryAcquire(instanceId);
      if (lease) return lease;
      if (!reported && onWait) {
        reported = true;
        onWait(await this.redis.get(this.key(instanceId)));
      }
      await sleep(pollMs, signal);
      pollMs = Math.min(maxPollMs, pollMs * 2);
    }
  }
}

export class InstanceLease {
  private renewTimer: NodeJS.Timeout | null = null;
  private lost = false;

  constructor(
    private readonly redis: Redis,
    readonly key: string,
    readonly token: string,
    private readonly ttlMs: number,
  ) {}

  /** True once a renewal found the lease gone or taken: another worker may now act on the instance. */
  get isLost(): boolean {
    return this.lost;
  }

  async renew(): Promise<boolean> {
    const renewed = (await this.redis.eval(RENEW_SCRIPT, 1, this.key, this.token, this.ttlMs)) === 1;
    if (!renewed) this.lost = true;
    return renewed;
  }

  /** Renews every third of the lifetime until released. */
  keepAlive(onLost: () => void): void {
    const interval = Math.max(100, Math.floor(this.ttlMs / 3));
    this.renewTimer = setInterval(() => {
      this.renew().then(
        (ok) => {
          if (!ok) {
            this.stopRenewing();
            onLost();
          }
        },
        () => undefined, // Redis hiccup: the next tick tries again, within the lifetime.
      );
    }, interval);
    this.renewTimer.unref();
  }

  async release(): Promise<boolean> {
    this.stopRenewing();
    return (await this.redis.eval(RELEASE_SCRIPT, 1, this.key, this.token)) === 1;
  }

  private stopRenewing(): void {
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = null;
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
