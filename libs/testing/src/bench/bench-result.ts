import { availableParallelism, loadavg } from 'os';
import type { BooleanOption, IntegerOption } from '@upshift/cli';
import type { CpuReport } from '../cpu-meter';
import { formatHttpFloor, measureHttpFloor, type HttpFloor } from './http-floor';
import { requireWrk, WRK_DEFAULTS } from './wrk';

/**
 * The two flags every bench takes for its floor; spread into its `defineCli` options. `--skip-floor` is for
 * quick runs while working on a bench: its RESULT then has no floor and no ratios.
 */
export const FLOOR_CLI_OPTIONS = {
  'skip-floor': {
    type: 'boolean',
    description: 'do not measure the bare node:http floor (RESULT then has no floor and no ratios)',
  } satisfies BooleanOption,
  'floor-seconds': {
    type: 'integer',
    default: WRK_DEFAULTS.durationSeconds,
    min: 1,
    max: 120,
    description: 'seconds of wrk against the floor server',
  } satisfies IntegerOption,
};

/**
 * Measures the floor unless skipped, and prints its line (to stderr, so that a bench's stdout stays its
 * report). Checks for wrk first, so a bench without it fails before starting anything.
 */
export async function benchFloor(options: {
  'skip-floor': boolean;
  'floor-seconds': number;
}): Promise<HttpFloor | null> {
  if (options['skip-floor']) return null;
  requireWrk();
  const floor = await measureHttpFloor(options['floor-seconds']);
  process.stderr.write(`${formatHttpFloor(floor)}\n`);
  return floor;
}

/** `throughput / floor req/s`, rounded to 4 significant digits; null without a floor. */
export function ratioToFloor(throughput: number, floor: HttpFloor | null): number | null {
  if (floor === null || !(floor.requestsPerSec > 0)) return null;
  return Number((throughput / floor.requestsPerSec).toPrecision(4));
}

/**
 * A bench's last line: `RESULT {json}`, with the floor (req/s, p50/p99) and the machine's load beside the
 * bench's own figures, so that runs on different machines, or on a busy one, can be told apart.
 */
export function printBenchResult(
  bench: string,
  floor: HttpFloor | null,
  figures: Record<string, unknown>,
): void {
  console.log(`\n${floor === null ? 'http floor: skipped (--skip-floor)' : formatHttpFloor(floor)}`);
  const [load1, load5] = loadavg();
  const result = {
    bench,
    ...figures,
    floorReqPerSec: floor === null ? null : Math.round(floor.requestsPerSec),
    floorP50Ms: floor?.latencyMs.p50 ?? null,
    floorP99Ms: floor?.latencyMs.p99 ?? null,
    cores: availableParallelism(),
    loadAvg: [Number((load1 ?? 0).toFixed(2)), Number((load5 ?? 0).toFixed(2))],
  };
  console.log(`RESULT ${JSON.stringify(result)}`);
}

/**
 * CPU ms per unit of the bench's own processes (every group but `other`): the whole stack's cost, without
 * what other work on the machine used meanwhile (that is in the machine's busy time).
 */
export function stackCpuMsPerUnit(report: CpuReport, units: number): number {
  const seconds = report.groups.filter((g) => g.name !== 'other').reduce((sum, g) => sum + g.seconds, 0);
  return Number(((seconds * 1000) / units).toFixed(2));
}
