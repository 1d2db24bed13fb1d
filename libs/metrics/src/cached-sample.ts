/**
 * A value read from somewhere costly (Postgres, Kafka) on demand, at most once per `maxAgeMs`: a scrape
 * that comes sooner gets the last value. Concurrent reads share one refresh. A failed refresh, or one
 * without an answer within `timeoutMs` (a hung database must not hang every scrape), keeps the previous
 * value (a gauge should not drop to zero while its source is down) and is reported through `onError`;
 * `failures` counts them so that a stale value can be told apart. A read given up on is not started
 * again while it is still pending.
 */
export class CachedSample<T> {
  private value: T;
  private readAt = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<T> | null = null;
  /**
   * The source's read, kept until it settles even after a scrape gave up on it: the next scrape waits on
   * it again instead of starting another, so a hung database holds one pooled connection, not one per
   * scrape.
   */
  private reading: Promise<T> | null = null;
  private failureCount = 0;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly options: {
      maxAgeMs: number;
      initial: T;
      /** Default 2 s, well inside Prometheus' default scrape timeout of 10 s. */
      timeoutMs?: number;
      onError?: (error: unknown) => void;
      now?: () => number;
    },
  ) {
    this.value = options.initial;
  }

  /** Refreshes that failed since start. */
  get failures(): number {
    return this.failureCount;
  }

  async get(): Promise<T> {
    const now = (this.options.now ?? Date.now)();
    if (now - this.readAt < this.options.maxAgeMs) return this.value;
    this.refreshing ??= this.refresh(now);
    return this.refreshing;
  }

  private async refresh(startedAt: number): Promise<T> {
    const timeoutMs = this.options.timeoutMs ?? 2_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      this.reading ??= this.read().finally(() => {
        this.reading = null;
      });
      this.value = await Promise.race([
        this.reading,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      this.readAt = startedAt;
    } catch (error) {
      this.failureCount += 1;
      this.options.onError?.(error);
    } finally {
      clearTimeout(timer);
      this.refreshing = null;
    }
    return this.value;
  }
}
