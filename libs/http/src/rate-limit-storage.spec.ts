import { SlicedWindowStorage } from './rate-limit-storage';

const WINDOW_MS = 60_000;

describe('SlicedWindowStorage', () => {
  let now: number;
  let storage: SlicedWindowStorage;
  const hit = (key = 'alice', limit = 3) => storage.increment(key, WINDOW_MS, limit, WINDOW_MS, 'default');

  beforeEach(() => {
    now = 1_000_000;
    storage = new SlicedWindowStorage(() => now);
  });

  it('counts hits up to the limit, then blocks for the block duration with Retry-After seconds', async () => {
    expect(await hit()).toMatchObject({ totalHits: 1, isBlocked: false });
    expect(await hit()).toMatchObject({ totalHits: 2, isBlocked: false });
    expect(await hit()).toMatchObject({ totalHits: 3, isBlocked: false, timeToExpire: 60 });
    expect(await hit()).toEqual({ totalHits: 4, timeToExpire: 60, isBlocked: true, timeToBlockExpire: 60 });
    now += 30_000;
    expect(await hit()).toMatchObject({ isBlocked: true, timeToBlockExpire: 30 });
  });

  it('counts each caller apart', async () => {
    for (let i = 0; i < 3; i += 1) await hit('alice');
    expect(await hit('alice')).toMatchObject({ isBlocked: true });
    expect(await hit('bob')).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('slides: hits leave the window a window after they came, to within one slice', async () => {
    await hit('alice', 10);
    now += 30_000;
    await hit('alice', 10);
    now += 31_000; // the first hit is 61 s old: out; the second 31 s: in
    expect(await hit('alice', 10)).toMatchObject({ totalHits: 2 });
    now += 61_000; // both earlier hits are over a window (and a slice) old
    expect(await hit('alice', 10)).toMatchObject({ totalHits: 1 });
  });

  it('unblocks once the block is over and the window has emptied', async () => {
    for (let i = 0; i < 4; i += 1) await hit();
    now += 60_001;
    expect(await hit()).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('costs the same for the millionth hit of a window as for the first (no list of hits)', async () => {
    for (let i = 0; i < 100_000; i += 1) {
      now += 1; // 100,000 hits within 100 s: at most 60 slices live at once
      await storage.increment('busy', WINDOW_MS, 1_000_000_000, WINDOW_MS, 'default');
    }
    const inside = (storage as unknown as { callers: Map<string, { slices: unknown[] }> }).callers;
    expect([...inside.values()][0]?.slices.length).toBeLessThanOrEqual(61);
  });
});
