import type { ThrottlerStorage } from '@nestjs/throttler';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** The window is counted in this many slices: a hit leaves the count at most one slice late. */
const SLICES_PER_WINDOW = 60;

interface CallerWindow {
  /** Hits per slice, oldest first: [slice start ms, hits]. */
  slices: [number, number][];
  total: number;
  blockedUntil: number;
  lastSeen: number;
}

/**
 * The rate limiter's counts, in constant time per request. @nestjs/throttler's own in-memory storage
 * keeps one expiry per request and filters the whole list on every request, so a request cost grew with
 * the requests in the window: a third of the registry's CPU under load (bench:registry's profile). Here
 * a caller's window is 60 slices with a running total; a request drops the slices that left the window
 * and adds one hit. The limit is the same sliding window, to within a slice (1 s of a 60-s window).
 * Past the limit a caller is blocked for `blockDuration` (the window, by default), as with the default.
 */
export class SlicedWindowStorage implements ThrottlerStorage {
  private readonly callers = new Map<string, CallerWindow>();
  private lastSweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const now = this.now();
    this.sweep(now, ttl);
    const id = `${throttlerName}\u0000${key}`;
    let caller = this.callers.get(id);
    if (caller === undefined) {
      caller = { slices: [], total: 0, blockedUntil: 0, lastSeen: now };
      this.callers.set(id, caller);
    }
    caller.lastSeen = now;
    const sliceMs = Math.max(1, Math.ceil(ttl / SLICES_PER_WINDOW));
    while (caller.slices.length > 0 && (caller.slices[0]?.[0] ?? 0) + sliceMs <= now - ttl) {
      caller.total -= caller.slices.shift()?.[1] ?? 0;
    }
    const oldest = caller.slices[0]?.[0] ?? now;
    const timeToExpire = Math.max(1, Math.ceil((oldest + ttl - now) / 1000));
    if (caller.blockedUntil > now) {
      return {
        totalHits: caller.total + 1,
        timeToExpire,
        isBlocked: true,
        timeToBlockExpire: Math.max(1, Math.ceil((caller.blockedUntil - now) / 1000)),
      };
    }
    const sliceStart = now - (now % sliceMs);
    const last = caller.slices[caller.slices.length - 1];
    if (last !== undefined && last[0] === sliceStart) last[1] += 1;
    else caller.slices.push([sliceStart, 1]);
    caller.total += 1;
    if (caller.total > limit) {
      caller.blockedUntil = now + (blockDuration > 0 ? blockDuration : ttl);
      return {
        totalHits: caller.total,
        timeToExpire,
        isBlocked: true,
        timeToBlockExpire: Math.max(1, Math.ceil((caller.blockedUntil - now) / 1000)),
      };
    }
    return { totalHits: caller.total, timeToExpire, isBlocked: false, timeToBlockExpire: 0 };
  }

  /** Forgets callers idle for a whole window (at most once a window), so the map does not keep them all. */
  private sweep(now: number, ttl: number): void {
    if (now - this.lastSweep < ttl) return;
    this.lastSweep = now;
    for (const [id, caller] of this.callers) {
      if (now - caller.lastSeen > ttl && caller.blockedUntil <= now) this.callers.delete(id);
    }
  }
}
