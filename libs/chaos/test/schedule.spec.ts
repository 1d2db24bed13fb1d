import { DANGER_ZONES, planRun, SERVICE_KILL_KINDS, WATCHED_ZONES } from '@upshift/chaos';

describe('planRun (the seeded kill schedule)', () => {
  it('is the same for the same seed and run, and differs between seeds and between runs', () => {
    expect(planRun(42, 1, 100, 10)).toEqual(planRun(42, 1, 100, 10));
    expect(planRun(42, 1, 100, 10)).not.toEqual(planRun(43, 1, 100, 10));
    expect(planRun(42, 1, 100, 10)).not.toEqual(planRun(42, 2, 100, 10));
  });

  it.each([1, 2, 3, 99, 2 ** 31 - 1])(
    'seed %i kills each service once, one per watched zone and one timed',
    (seed) => {
      const plan = planRun(seed, 0, 100, 10);
      expect(plan.kills.map((kill) => kill.kind).sort()).toEqual([...SERVICE_KILL_KINDS].sort());
      const zones = plan.kills.flatMap((kill) => ('zone' in kill.trigger ? [kill.trigger.zone] : []));
      expect(zones.sort()).toEqual([...WATCHED_ZONES].sort());
      const timed = plan.kills.filter((kill) => 'afterMs' in kill.trigger);
      expect(timed).toHaveLength(1);
      for (const kill of plan.kills) {
        expect(kill.downMs).toBeGreaterThanOrEqual(500);
        expect(kill.downMs).toBeLessThanOrEqual(2_500);
        expect([0, 1]).toContain(kill.target);
      }
    },
  );

  it('arms a crash point on each side of the publication (the commit-publish zone)', () => {
    const [first, second] = planRun(7, 0, 100, 10).crashPoints;
    expect(first).toMatch(/^outbox\.before-publish:\d+$/);
    expect(second).toMatch(/^outbox\.after-publish:\d+$/);
    expect(DANGER_ZONES).toContain('commit-publish');
  });

  it('fails upgrades past the first two batches and keeps its positions inside the fleet', () => {
    for (let seed = 0; seed < 50; seed += 1) {
      const plan = planRun(seed, 0, 100, 10);
      expect(plan.failingPositions).toHaveLength(2);
      for (const position of plan.failingPositions) {
        expect(position).toBeGreaterThanOrEqual(20);
        expect(position).toBeLessThan(100);
      }
      const small = planRun(seed, 0, 10, 1);
      for (const position of small.failingPositions) expect(position).toBeLessThan(10);
      expect(plan.midBatch).toBeGreaterThanOrEqual(2);
      expect(plan.agentStop.positionInBatch).toBeLessThan(10);
    }
  });

  it('spreads the kinds over the zones: across seeds, every kind meets every zone', () => {
    const met = new Set<string>();
    for (let seed = 0; seed < 200; seed += 1)
      for (const kill of planRun(seed, 0, 100, 10).kills)
        if ('zone' in kill.trigger) met.add(`${kill.kind}@${kill.trigger.zone}`);
    expect(met.size).toBe(SERVICE_KILL_KINDS.length * WATCHED_ZONES.length);
  });
});
