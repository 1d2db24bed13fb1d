import { createHash } from 'crypto';
import { CpuMeter, formatCpuReport } from './cpu-meter';

describe('CpuMeter', () => {
  it('runs on Linux, where the benchmarks run', () => {
    expect(CpuMeter.supported).toBe(true);
  });

  it("attributes this process's CPU to the group that matches it, and the rest of the machine to other", () => {
    const meter = CpuMeter.start([
      { name: 'this test', matches: (p) => p.pid === process.pid },
      { name: 'nothing', matches: () => false },
    ]);
    // Work, not waiting: hash until this process has used at least 300 ms of CPU.
    const before = process.cpuUsage();
    let digest = Buffer.alloc(32);
    while (sinceMs(before) < 300) digest = createHash('sha256').update(digest).digest();
    const report = meter.stop();

    const own = report.groups.find((g) => g.name === 'this test');
    expect(own?.seconds).toBeGreaterThanOrEqual(0.25); // /proc counts in 10 ms ticks
    expect(report.groups.find((g) => g.name === 'nothing')?.seconds).toBe(0);
    expect(report.groups.at(-1)?.name).toBe('other');
    expect(report.machineBusySeconds).toBeGreaterThanOrEqual((own?.seconds ?? 0) - 0.02);
    expect(report.cores).toBeGreaterThanOrEqual(1);
  });

  it('reports CPU per unit of work and the throughput that CPU cost allows', () => {
    const lines = formatCpuReport(
      {
        wallSeconds: 10,
        cores: 2,
        machineBusySeconds: 16,
        groups: [
          { name: 'orchestrator', seconds: 6 },
          { name: 'postgres', seconds: 8 },
          { name: 'other', seconds: 2 },
        ],
      },
      4000,
      'instance upgrades',
    );
    expect(lines).toEqual([
      `  ${'orchestrator'.padEnd(32)}   1.50 ms`,
      `  ${'postgres'.padEnd(32)}   2.00 ms`,
      `  ${'other'.padEnd(32)}   0.50 ms`,
      `  ${'all (machine busy time)'.padEnd(32)}   4.00 ms`,
      'machine busy 80 % of 2 cores over 10.0 s; at this CPU cost the cores allow at most 500 instance upgrades/s',
    ]);
  });
});

function sinceMs(before: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}
