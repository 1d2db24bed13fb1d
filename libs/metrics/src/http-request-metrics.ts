import type { IncomingMessage, ServerResponse } from 'node:http';
import { Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { METRICS_PATH } from './metrics-endpoint';

/** Requests no route of the app matched (404s, and paths the orchestrator proxies to the registry). */
export const OTHER_ROUTE = '(other)';

/**
 * The route label of a finished request: the route's template as the router matched it (`/…/upgrades/:id`),
 * never the raw path, which carries ids and would make a series per execution.
 */
export function routeLabel(req: IncomingMessage): string {
  const route = (req as IncomingMessage & { route?: { path?: unknown }; baseUrl?: string }).route;
  if (typeof route?.path !== 'string') return OTHER_ROUTE;
  const base = (req as IncomingMessage & { baseUrl?: string }).baseUrl ?? '';
  return `${base}${route.path}`;
}

/** Status classes rather than codes: `2xx` … `5xx`, enough for error-rate alerts and a tenth of the series. */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other';
}

/**
 * `upshift_http_request_duration_seconds{method,route,status}` for every request but the scrapes
 * themselves, observed when the response is finished (or the connection dropped).
 */
export function httpRequestMetrics(
  registry: Registry,
): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  const duration = new Histogram({
    name: 'upshift_http_request_duration_seconds',
    help: 'HTTP requests served, by method, route template and status class, and how long they took',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return (req, res, next) => {
    if ((req.url ?? '').split('?')[0] === METRICS_PATH) return next();
    const started = process.hrtime.bigint();
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      duration.observe(
        { method: req.method ?? 'OTHER', route: routeLabel(req), status: statusClass(res.statusCode) },
        seconds,
      );
    });
    next();
  };
}
