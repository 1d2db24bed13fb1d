import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';

/** The parts of a V8 `.cpuprofile` (what `node --cpu-prof` writes) that self time is read from. */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }[];
  /** Microseconds on the monotonic clock, the one `process.hrtime` reads on the same machine. */
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTimeRow {
  /** `function (file:line)`, or the package/area for `byArea`. */
  name: string;
  ms: number;
  /** Share of the busy (not idle) time in the window. */
  share: number;
}

export interface SelfTimeReport {
  windowMs: number;
  busyMs: number;
  functions: SelfTimeRow[];
  /** Self time by where the code lives: an npm package, the repository's app or lib, node internals. */
  areas: SelfTimeRow[];
}

export function readCpuProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

/** `node_modules/pino/…` → `pino`, `…/apps/orchestrator/src/…` → `apps/orchestrator`, `node:…` → `node`. */
export function codeArea(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node';
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency?.[1]) return dependency[1];
  const repository = /\/((?:apps|libs)\/[^/]+)\//.exec(url);
  return repository?.[1] ?? url.replace(/^file:\/\//, '');
}

/**
 * Self time per function (and per area) over the samples taken between `fromUs` and `toUs` (monotonic
 * microseconds; the whole profile when omitted). Each sample is charged the time until the next one, as
 * Chrome's profiler view does.
 */
export function selfTime(
  profile: CpuProfile,
  { fromUs = -Infinity, toUs = Infinity, top = 15 }: { fromUs?: number; toUs?: number; top?: number } = {},
): SelfTimeReport {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let busyUs = 0;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i += 1) {
    at += profile.timeDeltas[i] ?? 0;
    const duration = profile.timeDeltas[i + 1] ?? 0;
    if (at < fromUs || at > toUs) continue;
    const frame = frames.get(profile.samples[i] ?? -1);
    if (!frame || frame.functionName === '(idle)') continue;
    const file = frame.url.replace(/^.*\/(node_modules|apps|libs)\//, '$1/');
    const name =
      frame.url === ''
        ? frame.functionName
        : `${frame.functionName || '(anonymous)'} (${file}:${frame.lineNumber + 1})`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + duration);
    const area = codeArea(frame.url, frame.functionName);
    byArea.set(area, (byArea.get(area) ?? 0) + duration);
    busyUs += duration;
  }
  const rows = (totals: Map<string, number>): SelfTimeRow[] =>
    [...totals]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10, share: busyUs > 0 ? us / busyUs : 0 }));
  const windowUs = Math.min(toUs, profile.endTime) - Math.max(fromUs, profile.startTime);
  return {
    windowMs: Math.round(windowUs / 1000),
    busyMs: Math.round(busyUs / 1000),
    functions: rows(byFunction),
    areas: rows(byArea),
  };
}

/** Report lines: the top functions, then the top areas, each with its share of the busy time. */
export function formatSelfTime(title: string, report: SelfTimeReport): string[] {
  const line = (row: SelfTimeRow) =>
    `    ${(row.share * 100).toFixed(1).padStart(5)} %  ${row.ms.toFixed(0).padStart(6)} ms  ${row.name}`;
  return [
    `${title}: ${report.busyMs} ms busy of ${report.windowMs} ms`,
    '  top self time, by function:',
    ...report.functions.map(line),
    '  by area:',
    ...report.areas.map(line),
  ];
}

// Plain CommonJS loaded with `--require` before the service's own code: Node 20 refuses `--cpu-prof` in
// NODE_OPTIONS, and a service is started as `node -r @swc-node/register <entry>` with no room for flags.
// The in-process inspector session answers synchronously, so the profile can be written in 'exit'.
const PRELOAD = `
const { Session } = require('inspector');
const { writeFileSync } = require('fs');
const { join } = require('path');
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 500 });
session.post('Profiler.start');
let written = false;
function writeProfile() {
  if (written) return;
  written = true;
  session.post('Profiler.stop', (error, result) => {
    if (!error) writeFileSync(join(__dirname, 'cpu.' + process.pid + '.cpuprofile'), JSON.stringify(result.profile));
  });
}
process.once('exit', writeProfile);
// A service whose shutdown hook ends by raising the signal again (NestJS's enableShutdownHooks) never
// emits 'exit': write the profile when the signal arrives, and end the process when this listener is the
// last one left, as the default action would have.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, function onSignal() {
    writeProfile();
    if (process.listenerCount(signal) === 1) process.exit(128 + (signal === 'SIGTERM' ? 15 : 2));
  });
}
`;

/**
 * Writes the preload into `dir` and returns the NODE_OPTIONS that make a service profile itself from
 * start to exit (or to SIGTERM/SIGINT) into `dir/cpu.<pid>.cpuprofile` (SIGKILL loses it).
 */
export function cpuProfileNodeOptions(dir: string): string {
  const preload = join(dir, 'cpu-profile-preload.cjs');
  writeFileSync(preload, PRELOAD);
  return `--require ${preload}`;
}

/** Where `cpuProfileNodeOptions` has a process write its profile. */
export function cpuProfileFile(dir: string, pid: number): string {
  return join(dir, `cpu.${pid}.cpuprofile`);
}
