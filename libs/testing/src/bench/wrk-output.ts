/** What one wrk run measured, from its `--latency` report. */
export interface WrkFigures {
  requestsPerSec: number;
  requests: number;
  durationSeconds: number;
  /** Latency percentiles in milliseconds (wrk's "Latency Distribution"). */
  latencyMs: { p50: number; p75: number; p90: number; p99: number };
  /** Answers outside 2xx/3xx: a run with any is not a throughput figure of the route it meant to load. */
  non2xx: number;
  socketErrors: { connect: number; read: number; write: number; timeout: number };
}

const TIME_UNITS_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A wrk duration such as `690.00us`, `1.30ms` or `2.01s`, in milliseconds. */
function durationMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  const unit = match?.[2];
  if (!match || unit === undefined) throw new Error(`wrk output: unreadable duration "${text}"`);
  // Rounded to the microsecond wrk reports in, so that 1.10s reads as 1100 and not 1100.0000000000002.
  return Math.round(Number(match[1]) * (TIME_UNITS_MS[unit] ?? NaN) * 1000) / 1000;
}

function required(output: string, pattern: RegExp, what: string): RegExpExecArray {
  const match = pattern.exec(output);
  if (!match) throw new Error(`wrk output has no ${what}:\n${output.slice(0, 2000)}`);
  return match;
}

/**
 * Reads the report `wrk --latency` prints. Throws naming the missing part rather than returning zeros: a
 * run that answered nothing (connection refused, a typo in the URL) must not pass for a slow one.
 */
export function parseWrkOutput(output: string): WrkFigures {
  const percentile = (p: number) =>
    durationMs(required(output, new RegExp(`^\\s*${p}%\\s+(\\S+)\\s*$`, 'm'), `${p}% latency`)[1] ?? '');
  const totals = required(output, /^\s*(\d+) requests in (\S+),/m, 'request count');
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  return {
    requestsPerSec: Number(required(output, /^Requests\/sec:\s+([\d.]+)/m, 'Requests/sec line')[1]),
    requests: Number(totals[1]),
    durationSeconds: durationMs(totals[2] ?? '') / 1000,
    latencyMs: { p50: percentile(50), p75: percentile(75), p90: percentile(90), p99: percentile(99) },
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0),
    socketErrors: {
      connect: Number(socket?.[1] ?? 0),
      read: Number(socket?.[2] ?? 0),
      write: Number(socket?.[3] ?? 0),
      timeout: Number(socket?.[4] ?? 0),
    },
  };
}
