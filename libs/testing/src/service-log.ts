import type { ChildProcess } from 'child_process';
import { createWriteStream, mkdirSync } from 'fs';
import * as path from 'path';
import { createInterface } from 'readline';

/**
 * What a launcher (`npm run up`, the demo) shows a person, and where the services' own logs go.
 *
 * The services always write JSON lines (pino), the format files and log collectors want. Only the
 * launcher formats: with LOG_FORMAT=pretty — the default when its stdout is a terminal — each child's
 * full output goes to a file and the terminal gets one readable line per service start, per warning or
 * error of a child, and the ready banner (ADR 0048).
 */
export type LogFormat = 'json' | 'pretty';
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];

/** LOG_FORMAT when set (already validated), else pretty on a terminal and JSON anywhere else. */
export function resolveLogFormat(requested: LogFormat | undefined, stdoutIsTTY: boolean): LogFormat {
  return requested ?? (stdoutIsTTY ? 'pretty' : 'json');
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const WARN = 40;
/** The name column: wide enough for `orchestrator` and `worker-12`. */
const NAME_WIDTH = 14;

/**
 * One line of a child's output as a person should see it in pretty mode: a pino line at warn or above
 * becomes `⚠ name  WARN  message  key=value …`; lines below warn are left to the log file (null); a
 * line that is not JSON (a crash's stack trace, a runtime warning) is shown as it is.
 */
export function formatServiceLine(service: string, line: string): string | null {
  if (line.trim() === '') return null;
  const entry = parseJsonLine(line);
  if (entry === null) return `  ${service.padEnd(NAME_WIDTH)}${line}`;
  const level = levelOf(entry['level']);
  if (level < WARN) return null;
  const {
    msg,
    err,
    time: _time,
    pid: _pid,
    hostname: _hostname,
    level: _level,
    name: _name,
    ...rest
  } = entry;
  const error = describeError(err);
  const fields = Object.entries(rest)
    .map(([key, value]) => `${key}=${compact(value)}`)
    .join(' ');
  const text = [compact(msg ?? ''), error, fields].filter((part) => part !== '').join('  ');
  const mark = level >= 50 ? '✗' : '⚠';
  return `${mark} ${service.padEnd(NAME_WIDTH)}${(LEVEL_NAMES[level] ?? String(level)).padEnd(6)}${text}`;
}

/** `✓ registry        http://localhost:8085  (1.2 s)`: one line per service that has started. */
export function formatServiceStarted(service: string, detail: string, seconds?: number): string {
  const took = seconds === undefined ? '' : `  (${seconds.toFixed(1)} s)`;
  return `✓ ${service.padEnd(NAME_WIDTH)}${detail}${took}`;
}

/** The launcher's own progress in pretty mode: `· message  key=value …`. */
export function formatLauncherEvent(msg: string, fields: Record<string, unknown> = {}): string {
  const details = Object.entries(fields).map(([key, value]) => `${key}=${compact(value)}`);
  return ['·', msg, ...(details.length > 0 ? [` ${details.join(' ')}`] : [])].join(' ');
}

/** A banner: a title, then aligned `label  value` rows. */
export function formatBanner(title: string, rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...rows.map(([label]) => label.length)) + 2;
  return [title, ...rows.map(([label, value]) => `  ${label.padEnd(width)}${value}`)].join('\n');
}

/** pino writes the level as a number, or as its label with a `formatters.level` (e.g. the registry's start-up). */
function levelOf(level: unknown): number {
  if (typeof level === 'number') return level;
  const label = String(level).toUpperCase();
  const found = Object.entries(LEVEL_NAMES).find(([, name]) => name === label);
  return found ? Number(found[0]) : WARN;
}

function parseJsonLine(line: string): Record<string, unknown> | null {
  if (!line.startsWith('{')) return null;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

function describeError(err: unknown): string {
  if (typeof err !== 'object' || err === null) return err === undefined ? '' : compact(err);
  const { type, message } = err as { type?: unknown; message?: unknown };
  return compact([type, message].filter((part) => typeof part === 'string' && part !== '').join(': '));
}

/** A field's value on one line, cut short: the full value is in the log file. */
function compact(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const oneLine = (text ?? String(value)).replace(/\s+/g, ' ');
  return oneLine.length > 120 ? `${oneLine.slice(0, 119)}…` : oneLine;
}

/** Where a service's log goes: `<dir>/<service>.log`. */
export function serviceLogFile(dir: string, service: string): string {
  return path.join(dir, `${service}.log`);
}

/**
 * Writes everything a child prints (stdout and stderr) to `<dir>/<service>.log`, replacing the file of
 * an earlier run, and hands each line that a person should see to `show` (formatServiceLine). Resolves
 * once both streams have ended and the file is flushed.
 */
export function captureServiceLogs(
  child: ChildProcess,
  service: string,
  dir: string,
  show: (line: string) => void,
): { file: string; closed: Promise<void> } {
  mkdirSync(dir, { recursive: true });
  const file = serviceLogFile(dir, service);
  const out = createWriteStream(file, { flags: 'w' });
  const streams = [child.stdout, child.stderr].filter((s) => s !== null);
  const ended = streams.map(
    (stream) =>
      new Promise<void>((resolve) => {
        const lines = createInterface({ input: stream, crlfDelay: Infinity });
        lines.on('line', (line) => {
          out.write(`${line}\n`);
          const readable = formatServiceLine(service, line);
          if (readable !== null) show(readable);
        });
        lines.once('close', resolve);
      }),
  );
  const closed = Promise.all(ended).then(
    () =>
      new Promise<void>((resolve, reject) => {
        out.once('error', reject);
        out.end(resolve);
      }),
  );
  return { file, closed };
}
