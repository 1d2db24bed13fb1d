import { CallAbortedError } from '../agent/agent-driver';
import { sleep } from './sleep';

/** Exponential backoff: attempt n waits up to min(maxDelayMs, baseDelayMs × 2^(n-1)). */
export interface Backoff {
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * `full`: a random wait in [0, ceiling), so that many callers failing together do not retry together
   * (agent calls). `none`: the ceiling itself (infrastructure outages, lease polling).
   */
  jitter: 'full' | 'none';
}

export interface RetryOptions {
  backoff: Backoff;
  /** Whether a failure is worth another attempt; any other failure is rethrown at once. */
  retryable: (error: unknown) => boolean;
  /** Attempts in all, the first included; without it, retries go on until success or abort. */
  maxAttempts?: number;
  /** Aborting cuts the wait short and ends the retries with a CallAbortedError. */
  signal?: AbortSignal;
  /** Called before each wait, e.g. to log the failure. */
  onRetry?: (attempt: number, error: unknown, delayMs: number) => void;
  random?: () => number;
}

export function backoffDelay(backoff: Backoff, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.maxDelayMs, backoff.baseDelayMs * 2 ** (attempt - 1));
  return backoff.jitter === 'full' ? Math.floor(random() * ceiling) : ceiling;
}

/**
 * The worker's one retry loop: runs `call` until it succeeds, fails with an error that is not
 * `retryable`, runs out of `maxAttempts` (the last error is rethrown), or `signal` aborts.
 */
export async function retry<T>(call: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { backoff, retryable, maxAttempts = Infinity, signal, onRetry, random } = options;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call(attempt);
    } catch (error) {
      if (!retryable(error) || attempt >= maxAttempts) throw error;
      if (signal?.aborted) throw new CallAbortedError('retry abandoned: the worker is stopping');
      const delayMs = backoffDelay(backoff, attempt, random);
      onRetry?.(attempt, error, delayMs);
      await sleep(delayMs, signal);
      if (signal?.aborted) throw new CallAbortedError('retry abandoned: the worker is stopping');
    }
  }
}
