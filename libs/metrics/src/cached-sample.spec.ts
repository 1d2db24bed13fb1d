import { CachedSample } from './cached-sample';

describe('CachedSample', () => {
  function sampled(values: (number | Error)[], maxAgeMs = 1_000) {
    let now = 0;
    let reads = 0;
    const errors: unknown[] = [];
    const sample = new CachedSample<number>(
      async () => {
        const next = values[reads++];
        if (next instanceof Error) throw next;
        return next as number;
      },
      { maxAgeMs, initial: -1, onError: (e) => errors.push(e), now: () => now },
    );
    return {
      sample,
      errors,
      reads: () => reads,
      advance: (ms: number) => {
        now += ms;
      },
    };
  }

  it('reads on first use and again only once the value is maxAgeMs old', async () => {
    const s = sampled([1, 2, 3]);
    expect(await s.sample.get()).toBe(1);
    s.advance(999);
    expect(await s.sample.get()).toBe(1);
    s.advance(1);
    expect(await s.sample.get()).toBe(2);
    expect(s.reads()).toBe(2);
  });

  it('shares one read between concurrent callers', async () => {
    const s = sampled([7, 8]);
    expect(await Promise.all([s.sample.get(), s.sample.get(), s.sample.get()])).toEqual([7, 7, 7]);
    expect(s.reads()).toBe(1);
  });

  it('keeps the last value when a read fails, reports the error, and tries again on the next call', async () => {
    const boom = new Error('postgres down');
    const s = sampled([5, boom, 6]);
    expect(await s.sample.get()).toBe(5);
    s.advance(1_000);
    expect(await s.sample.get()).toBe(5);
    expect(s.errors).toEqual([boom]);
    expect(s.sample.failures).toBe(1);
    expect(await s.sample.get()).toBe(6);
  });

  it('answers the initial value when the very first read fails', async () => {
    const s = sampled([new Error('no kafka')]);
    expect(await s.sample.get()).toBe(-1);
  });

  it('gives up on a read that does not answer within timeoutMs, keeping the last value', async () => {
    const errors: unknown[] = [];
    const sample = new CachedSample<number>(() => new Promise<number>(() => undefined), {
      maxAgeMs: 1_000,
      initial: 3,
      timeoutMs: 20,
      onError: (e) => errors.push(e),
    });
    expect(await sample.get()).toBe(3);
    expect(String(errors[0])).toContain('no answer within 20 ms');
    expect(sample.failures).toBe(1);
  });

  it('starts no second read while one it gave up on is still pending, and uses its answer when it comes', async () => {
    let reads = 0;
    let answer: (value: number) => void = () => undefined;
    const sample = new CachedSample<number>(
      () => {
        reads += 1;
        return new Promise<number>((resolve) => (answer = resolve));
      },
      { maxAgeMs: 0, initial: 3, timeoutMs: 20 },
    );
    expect(await sample.get()).toBe(3);
    expect(await sample.get()).toBe(3);
    expect(reads).toBe(1);
    const third = sample.get();
    answer(9);
    expect(await third).toBe(9);
    expect(reads).toBe(1);
  });
});
