/** The broker CLI's metrics options, for its --help. */
export const METRICS_USAGE = `
  --metrics-port PORT serve GET /metrics (Prometheus) on this port, off by default; or the
                      BROKER_METRICS_PORT variable. 0 picks a free port.
  --metrics-host HOST the address /metrics listens on; default --host.`;

/**
 * The metrics port from `--metrics-port`, else BROKER_METRICS_PORT; null when neither is set (no
 * metrics server). Throws naming the flag or variable when it is not a port.
 */
export function metricsPortFrom(flag: string | undefined, env: NodeJS.ProcessEnv): number | null {
  const [name, value] =
    flag !== undefined ? ['--metrics-port', flag] : ['BROKER_METRICS_PORT', env['BROKER_METRICS_PORT']];
  if (value === undefined || value === '') return null;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new Error(`${name} must be 0–65535, got ${value}`);
  return port;
}
