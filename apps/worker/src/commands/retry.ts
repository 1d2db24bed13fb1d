import { AgentCallError, CallAbortedError } from '../agent/agent-driver';
import { sleep } from '../lease/instance-lease';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Exponential backoff with full jitter: attempt n waits random(0, min(max, base × 2^(n-1))). */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Runs `call` until it succeeds, fails permanently, or runs out of attempts on transient errors.
 * The same commandId goes with every attempt, so an attempt that did reach the agent is not applied twice.
 */
export async function withRetries<T>(
  call: () => Promise<T>,
  policy: RetryPolicy,
  {
    signal,
    onRetry,
  }: {
    signal?: AbortSignal;
    onRetry?: (attempt: number, error: AgentCallError, delayMs: number) => void;
  } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof AgentCallError) || !error.transient || attempt >= policy.maxAttempts)
        throw error;
      const delayMs = backoffDelay(policy, attempt);
      onRetry?.(attempt, error, delayMs);
      await sleep(delayMs, signal);
      if (signal?.aborted) throw new CallAbortedError('retry abandoned: the worker is stopping');
    }
  }
}
