import { CallAbortedError } from '../agent/agent-driver';
import { backoffDelay, retry } from './retry';
import { sleep } from './sleep';

class Flaky extends Error {}

/** A call that fails with `Flaky` `failures` times, then answers `value`; counts its attempts. */
function failingTimes(failures: number, value = 'ok') {
  const calls = { count: 0 };
  const call = async () => {
    calls.count += 1;
    if (calls.count <= failures) throw new Flaky(`failure ${calls.count}`);
    return value;
  };
  return { call, calls };
}

const fast = { baseDelayMs: 1, maxDelayMs: 4, jitter: 'none' as const };

describe('backoffDelay', () => {
  it('doubles from the base up to the maximum; full jitter draws below that ceiling', () => {
    const backoff = { baseDelayMs: 200, maxDelayMs: 5000, jitter: 'none' as const };
    expect([1, 2, 3, 5, 6, 7, 2000].map((n) => backoffDelay(backoff, n))).toEqual([
      200, 400, 800, 3200, 5000, 5000, 5000,
    ]);
    const jittered = { ...backoff, jitter: 'full' as const };
    expect(backoffDelay(jittered, 3, () => 0.5)).toBe(400);
    expect(backoffDelay(jittered, 3, () => 0)).toBe(0);
  });
});

describe('retry', () => {
  it('retries retryable failures until the call succeeds, reporting each wait', async () => {
    const { call, calls } = failingTimes(3);
    const waits: [number, number][] = [];
    const result = await retry(call, {
      backoff: fast,
      retryable: (error) => error instanceof Flaky,
      onRetry: (attempt, _error, delayMs) => waits.push([attempt, delayMs]),
    });
    expect(result).toBe('ok');
    expect(calls.count).toBe(4);
    expect(waits).toEqual([
      [1, 1],
      [2, 2],
      [3, 4],
    ]);
  });

  it('rethrows a failure that is not retryable at once', async () => {
    const { call, calls } = failingTimes(3);
    await expect(retry(call, { backoff: fast, retryable: () => false })).rejects.toThrow('failure 1');
    expect(calls.count).toBe(1);
  });

  it('gives up after maxAttempts with the last failure', async () => {
    const { call, calls } = failingTimes(10);
    await expect(retry(call, { backoff: fast, maxAttempts: 3, retryable: () => true })).rejects.toThrow(
      'failure 3',
    );
    expect(calls.count).toBe(3);
  });

  it('an abort cuts the wait short and ends with CallAbortedError', async () => {
    const { call, calls } = failingTimes(10);
    const abort = new AbortController();
    const startedAt = Date.now();
    const retrying = retry(call, {
      backoff: { baseDelayMs: 60_000, maxDelayMs: 60_000, jitter: 'none' },
      retryable: () => true,
      signal: abort.signal,
    });
    setTimeout(() => abort.abort(), 20);
    await expect(retrying).rejects.toBeInstanceOf(CallAbortedError);
    expect(calls.count).toBe(1);
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });
});

describe('sleep', () => {
  it('resolves early, without an error, when its signal aborts', async () => {
    const abort = new AbortController();
    const startedAt = Date.now();
    setTimeout(() => abort.abort(), 20);
    await expect(sleep(60_000, abort.signal)).resolves.toBeUndefined();
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });

  it('waits the full time without a signal', async () => {
    const startedAt = Date.now();
    await sleep(50);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(45);
  });
});
