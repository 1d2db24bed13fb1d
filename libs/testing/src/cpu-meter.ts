import { execFileSync } from 'child_process';
import { readdirSync, readFileSync } from 'fs';
import { availableParallelism } from 'os';

/** A named set of processes whose CPU time is added up. */
export interface CpuGroup {
  name: string;
  /** Matches a process by its pid, `comm` (e.g. `postgres`) and command line. */
  matches: (process: { pid: number; comm: string; cmdline: string }) => boolean;
}

export interface CpuReport {
  wallSeconds: number;
  cores: number;
  /** Busy CPU-seconds of the whole machine (all cores, everything not idle or waiting on I/O). */
  machineBusySeconds: number;
  /** CPU-seconds per group, in the order given; `other` is the machine's busy time no group claims. */
  groups: { name: string; seconds: number }[];
}

/** The machine's own servers, which every benchmark here runs against. */
export const LOCAL_SERVER_CPU_GROUPS: readonly CpuGroup[] = [
  { name: 'postgres', matches: (p) => p.comm === 'postgres' },
  { name: 'redis', matches: (p) => p.comm === 'redis-server' },
];

interface ProcessSample {
  group: string;
  ticks: number;
}

/**
 * Where a benchmark's CPU goes, per process group, from Linux's /proc: the user+system time each group's
 * processes used between `start()` and `stop()`, and how busy the whole machine was. It answers the
 * question a throughput figure raises on a small machine: is the run CPU-bound, and what would it take
 * (CPU per unit of work) to go faster? Linux only; elsewhere `CpuMeter.supported` is false.
 */
export class CpuMeter {
  static readonly supported = safeRead('/proc/stat') !== null;
  private static ticksPerSecond: number | null = null;

  private constructor(
    private readonly groups: readonly CpuGroup[],
    private readonly startedAt: number,
    private readonly machineBusyStart: number,
    private readonly processStart: Map<number, ProcessSample>,
  ) {}

  static start(groups: readonly CpuGroup[]): CpuMeter {
    return new CpuMeter(groups, Date.now(), machineBusyTicks(), sampleProcesses(groups));
  }

  /**
   * Per-group CPU since `start()`. A process that started in between counts from zero; one that exited
   * in between is lost (its time shows up only in the machine's busy time, under `other`).
   */
  stop(): CpuReport {
    const hz = CpuMeter.hz();
    const now = sampleProcesses(this.groups);
    const byGroup = new Map<string, number>(this.groups.map((g) => [g.name, 0]));
    for (const [pid, sample] of now) {
      const before = this.processStart.get(pid)?.ticks ?? 0;
      byGroup.set(sample.group, (byGroup.get(sample.group) ?? 0) + (sample.ticks - before) / hz);
    }
    const machineBusySeconds = (machineBusyTicks() - this.machineBusyStart) / hz;
    const claimed = [...byGroup.values()].reduce((a, b) => a + b, 0);
    return {
      wallSeconds: (Date.now() - this.startedAt) / 1000,
      cores: availableParallelism(),
      machineBusySeconds,
      groups: [
        ...[...byGroup].map(([name, seconds]) => ({ name, seconds })),
        { name: 'other', seconds: Math.max(0, machineBusySeconds - claimed) },
      ],
    };
  }

  private static hz(): number {
    if (CpuMeter.ticksPerSecond === null) {
      try {
        CpuMeter.ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
      } catch {
        CpuMeter.ticksPerSecond = 100; // the Linux default USER_HZ
      }
    }
    return CpuMeter.ticksPerSecond;
  }
}

/**
 * Lines for a benchmark's report: each group's CPU in ms per unit of work, the machine's busy share and
 * the throughput the measured CPU cost allows at best (every core busy all the time, nothing waiting).
 */
export function formatCpuReport(report: CpuReport, units: number, unitName: string): string[] {
  const perUnit = (seconds: number) => ((seconds * 1000) / units).toFixed(2);
  const busyShare = report.machineBusySeconds / (report.wallSeconds * report.cores);
  const ceiling = units / (report.machineBusySeconds / report.cores);
  return [
    ...report.groups.map((g) => `  ${g.name.padEnd(32)} ${perUnit(g.seconds).padStart(6)} ms`),
    `  ${'all (machine busy time)'.padEnd(32)} ${perUnit(report.machineBusySeconds).padStart(6)} ms`,
    `machine busy ${(busyShare * 100).toFixed(0)} % of ${report.cores} cores over ${report.wallSeconds.toFixed(1)} s; ` +
      `at this CPU cost the cores allow at most ${ceiling.toFixed(0)} ${unitName}/s`,
  ];
}

function machineBusyTicks(): number {
  const line = (safeRead('/proc/stat') ?? '').split('\n', 1)[0] ?? '';
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal …: idle and iowait are not busy.
  const all = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return all - (fields[3] ?? 0) - (fields[4] ?? 0);
}

function sampleProcesses(groups: readonly CpuGroup[]): Map<number, ProcessSample> {
  const samples = new Map<number, ProcessSample>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return samples;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const stat = safeRead(`/proc/${pid}/stat`);
    const cmdline = safeRead(`/proc/${pid}/cmdline`);
    if (stat === null || cmdline === null) continue; // exited meanwhile
    // comm is in parentheses and may itself contain spaces or parentheses: split after the last ')'.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const rest = stat
      .slice(close + 2)
      .split(' ')
      .map(Number);
    // After comm: state(0) ppid(1) … utime(11) stime(12), in clock ticks.
    const ticks = (rest[11] ?? 0) + (rest[12] ?? 0);
    const candidate = { pid, comm, cmdline: cmdline.replace(/\0/g, ' ').trim() };
    const group = groups.find((g) => g.matches(candidate));
    if (group) samples.set(pid, { group: group.name, ticks });
  }
  return samples;
}

function safeRead(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
