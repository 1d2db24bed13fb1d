import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';

/** One series of a cumulative count kept elsewhere: its labels and its current total. */
export interface CumulativeSeries<L extends string> {
  labels: Partial<Record<L, string>>;
  value: number;
}

/**
 * A Prometheus counter whose totals are kept by the code that counts (a relay's or a consumer's own
 * statistics, which its logs and health answer already report) and read at scrape time, instead of a
 * second count kept beside them. The totals must only grow while the process lives, as a counter's do.
 */
export function cumulativeCounter<L extends string>(
  registry: Registry,
  definition: { name: string; help: string; labelNames: readonly L[] },
  read: () => CumulativeSeries<L>[],
): Counter<L> {
  return new Counter<L>({
    name: definition.name,
    help: definition.help,
    labelNames: definition.labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, value } of read()) this.inc(labels, value);
    },
  });
}
