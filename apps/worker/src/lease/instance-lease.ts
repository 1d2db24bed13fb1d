import { randomUUID } from 'crypto';
import type Redis from 'ioredis';
import { CallAbortedError } from '../agent/agent-driver';
import { retry } from '../retry/retry';

// Every script that touches a lease acts only if the caller still holds it (its token), so a worker
// whose lease expired and was taken over can neither extend nor delete the new holder's lease.
const RENEW_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;
// KEYS[1] lease, KEYS[2] (optional) a result to store first; ARGV token, result, its TTL in seconds.
const RELEASE_SCRIPT = `
if #KEYS > 1 then
  redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;
// KEYS[1] lease, KEYS[2] the command's stored result, KEYS[3] the instance's newest fencing token;
// ARGV lease token, TTL in ms, '1' to look for a stored result, the command's fencing token or '', the
// fencing key's TTL in seconds. A stored result wins over everything: the command already ran (here or on
// another worker) and is only re-reported. Then fencing (ADR 0082): a token older than the newest seen is
// refused, any other becomes the newest seen — in the same script, so two workers cannot both pass with
// tokens out of order. Then the lease.
const ACQUIRE_SCRIPT = `
if ARGV[3] == '1' then
  local stored = redis.call('GET', KEYS[2])
  if stored then return {'stored', stored} end
end
if ARGV[4] ~= '' then
  local newest = redis.call('GET', KEYS[3])
  if newest and tonumber(ARGV[4]) < tonumber(newest) then return {'stale', newest} end
  if not newest or tonumber(ARGV[4]) > tonumber(newest) then
    redis.call('SET', KEYS[3], ARGV[4], 'EX', ARGV[5])
  else
    redis.call('EXPIRE', KEYS[3], ARGV[5])
  end
end
if redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return {'leased'} end
return {'held', redis.call('GET', KEYS[1]) or ''}`;

/** A value to write under `key` for `ttlSeconds` (a command's definitive result). */
export interface StoredValue {
  key: string;
  value: string;
  ttlSeconds: number;
}

export interface LeaseOptions {
  /** Lease lifetime; a crashed holder's lease frees itself after this long. */
  ttlMs: number;
  /** Key prefix, e.g. `upshift` → `upshift:lease:instance:<id>`. */
  prefix: string;
  holder: string;
  /** How long an instance's newest fencing token is kept after it was last seen (default 30 days). */
  fenceTtlSeconds?: number;
}

/** A command's fencing token is older than `newest`, the newest seen for its instance (ADR 0082). */
export interface StaleFencingToken {
  staleBehind: number;
}

/** A try found the lease held by `holder` (null when it expired between the SET and the GET). */
class LeaseHeldError extends Error {
  override readonly name = 'LeaseHeldError';
  constructor(readonly holder: string | null) {
    super('the instance lease is held by another command');
  }
}

/**
 * One command at a time per instance, across all workers: a Redis key per instance set with
 * SET NX PX and a random token, renewed while the command runs, released with compare-and-delete.
 * Beside it, the newest fencing token seen for the instance (ADR 0082), checked and raised by the same
 * script that grants the lease.
 */
export class InstanceLeases {
  constructor(
    private readonly redis: Redis,
    private readonly options: LeaseOptions,
  ) {}

  key(instanceId: string): string {
    return `${this.options.prefix}:lease:instance:${instanceId}`;
  }

  /** Where the newest fencing token seen for the instance is kept, shared by all workers. */
  fenceKey(instanceId: string): string {
    return `${this.options.prefix}:fence:instance:${instanceId}`;
  }

  async tryAcquire(instanceId: string): Promise<InstanceLease | null> {
    const attempt = await this.attempt(instanceId, undefined, undefined);
    return attempt.kind === 'leased' ? attempt.lease : null;
  }

  /**
   * Waits for the lease, polling with backoff (up to `maxPollMs` between tries). With `storedKey`, each
   * try first looks for a value stored there (a command's result) in the same round trip, and returns it
   * instead of a lease if it exists. With `fencingToken`, each try then compares it with the newest token
   * seen for the instance: an older one ends the wait with `staleBehind` (no lease), any other is recorded
   * as the newest. Returns null when `signal` aborts first.
   */
  async acquire(
    instanceId: string,
    {
      signal,
      maxPollMs = 1000,
      onWait,
      storedKey,
      fencingToken,
    }: {
      signal?: AbortSignal;
      maxPollMs?: number;
      onWait?: (holder: string | null) => void;
      storedKey?: string;
      fencingToken?: number;
    } = {},
  ): Promise<InstanceLease | { stored: string } | StaleFencingToken | null> {
    if (signal?.aborted) return null;
    try {
      return await retry(
        async () => {
          const attempt = await this.attempt(instanceId, storedKey, fencingToken);
          if (attempt.kind === 'leased') return attempt.lease;
          if (attempt.kind === 'stored') return { stored: attempt.stored };
          if (attempt.kind === 'stale') return { staleBehind: attempt.newest };
          throw new LeaseHeldError(attempt.holder);
        },
        {
          backoff: { baseDelayMs: 50, maxDelayMs: maxPollMs, jitter: 'none' },
          // Only "held by someone else" is polled; a Redis error goes to the caller.
          retryable: (error) => error instanceof LeaseHeldError,
          signal,
          onRetry: (attempt, error) => {
            if (attempt === 1) onWait?.((error as LeaseHeldError).holder);
          },
        },
      );
    } catch (error) {
      if (error instanceof CallAbortedError) return null;
      throw error;
    }
  }

  private async attempt(
    instanceId: string,
    storedKey: string | undefined,
    fencingToken: number | undefined,
  ): Promise<
    | { kind: 'leased'; lease: InstanceLease }
    | { kind: 'stored'; stored: string }
    | { kind: 'stale'; newest: number }
    | { kind: 'held'; holder: string | null }
  > {
    const token = `${this.options.holder}:${randomUUID()}`;
    const key = this.key(instanceId);
    const fenceKey = this.fenceKey(instanceId);
    // Always three keys (all of one instance's and command's), so the script reads its arguments by position.
    const reply = (await this.redis.eval(
      ACQUIRE_SCRIPT,
      3,
      key,
      storedKey ?? key,
      fenceKey,
      token,
      this.options.ttlMs,
      storedKey === undefined ? '0' : '1',
      fencingToken === undefined ? '' : String(fencingToken),
      this.options.fenceTtlSeconds ?? 30 * 24 * 3600,
    )) as [string, string?];
    if (reply[0] === 'leased') {
      return { kind: 'leased', lease: new InstanceLease(this.redis, key, token, this.options.ttlMs) };
    }
    if (reply[0] === 'stored') return { kind: 'stored', stored: reply[1] ?? '' };
    if (reply[0] === 'stale') return { kind: 'stale', newest: Number(reply[1]) };
    return { kind: 'held', holder: reply[1] || null };
  }
}

/** Why a running command's lease is gone: taken by another holder, or not renewable before it expires. */
export type LeaseLoss = { reason: 'taken' } | { reason: 'unrenewable'; error: unknown };

export class InstanceLease {
  private renewTimer: NodeJS.Timeout | null = null;
  private lost = false;
  /** Until when the lease is known to be ours: the send time of the last successful renewal plus the TTL. */
  private heldUntil: number;

  constructor(
    private readonly redis: Redis,
    readonly key: string,
    readonly token: string,
    private readonly ttlMs: number,
  ) {
    // Conservative: the clock starts before the acquiring round trip returned.
    this.heldUntil = Date.now() + ttlMs;
  }

  /** True once the lease was found gone or taken, or could not be renewed in time. */
  get isLost(): boolean {
    return this.lost;
  }

  async renew(): Promise<boolean> {
    const sentAt = Date.now();
    const renewed = (await this.redis.eval(RENEW_SCRIPT, 1, this.key, this.token, this.ttlMs)) === 1;
    if (renewed) this.heldUntil = sentAt + this.ttlMs;
    else this.lost = true;
    return renewed;
  }

  /**
   * Renews every third of the lifetime until released. `onLost` is called once, when a renewal finds the
   * lease taken, or when renewals keep failing (Redis unreachable) so that the lease may expire before
   * the next try: the holder must stop working on the instance then, as another worker may take it
   * (ADR 0079). `onRenewError` reports each failed renewal.
   */
  keepAlive(onLost: (loss: LeaseLoss) => void, onRenewError?: (error: unknown) => void): void {
    const interval = Math.max(100, Math.floor(this.ttlMs / 3));
    let renewing = false;
    let lastError: unknown = null;
    const lose = (loss: LeaseLoss) => {
      if (this.lost && this.renewTimer === null) return;
      this.lost = true;
      this.stopRenewing();
      onLost(loss);
    };
    const expiresBeforeNextTry = () => Date.now() + interval >= this.heldUntil;
    this.renewTimer = setInterval(() => {
      if (renewing) {
        // The previous renewal has not answered (a command timeout is pending): it counts as failing.
        if (expiresBeforeNextTry())
          lose({ reason: 'unrenewable', error: lastError ?? new Error('renewal pending') });
        return;
      }
      renewing = true;
      this.renew().then(
        (ok) => {
          renewing = false;
          lastError = null;
          if (!ok) lose({ reason: 'taken' });
        },
        (error: unknown) => {
          renewing = false;
          lastError = error;
          onRenewError?.(error);
          if (this.renewTimer !== null && expiresBeforeNextTry()) lose({ reason: 'unrenewable', error });
        },
      );
    }, interval);
    this.renewTimer.unref();
  }

  /**
   * Deletes the lease if still held. With `store`, first writes that value (a definitive result), in the
   * same round trip: a redelivered command finds the result the moment the instance is free again.
   */
  async release(store?: StoredValue): Promise<boolean> {
    this.stopRenewing();
    const keys = store === undefined ? [this.key] : [this.key, store.key];
    const args = store === undefined ? [] : [store.value, store.ttlSeconds];
    const reply = await this.redis.eval(RELEASE_SCRIPT, keys.length, ...keys, this.token, ...args);
    return reply === 1;
  }

  private stopRenewing(): void {
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = null;
  }
}
