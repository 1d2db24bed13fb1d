import { PartitionOffsetTracker } from './offset-tracker';

describe('PartitionOffsetTracker', () => {
  it('commits nothing while the lowest offset is still in flight', () => {
    const tracker = new PartitionOffsetTracker();
    [5, 6, 7].forEach((o) => tracker.add(o));
    tracker.complete(6);
    tracker.complete(7);
    expect(tracker.committable()).toBe(5);
    // 5 is the next offset to consume: committing it loses nothing, but it was never committed before.
    tracker.markCommitted(5);
    expect(tracker.committable()).toBeNull();
  });

  it('commits past every finished offset once the gap closes', () => {
    const tracker = new PartitionOffsetTracker();
    [5, 6, 7].forEach((o) => tracker.add(o));
    tracker.complete(7);
    tracker.complete(5);
    expect(tracker.committable()).toBe(6);
    tracker.complete(6);
    expect(tracker.committable()).toBe(8);
    expect(tracker.pending).toBe(0);
  });

  it('ignores redelivered offsets it already saw', () => {
    const tracker = new PartitionOffsetTracker();
    tracker.add(0);
    tracker.add(0);
    tracker.complete(0);
    expect(tracker.committable()).toBe(1);
    expect(tracker.pending).toBe(0);
  });
});
