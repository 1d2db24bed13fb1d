import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

/** Where every Upshift process serves its metrics. */
export const METRICS_PATH = '/metrics';

/**
 * Whether a request may read the metrics: anyone when no token is configured (the port is reached from
 * the cluster network only, docs/adr/0086-metrics-endpoints.md); with METRICS_TOKEN, only
 * `Authorization: Bearer <that token>` — compared in constant time.
 */
export function metricsRequestAllowed(authorization: string | undefined, token: string): boolean {
  if (token === '') return true;
  const match = /^Bearer +(\S+)$/i.exec(authorization ?? '');
  if (match === null) return false;
  const given = Buffer.from(match[1] as string);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Answers `GET /metrics` from `registry` in the Prometheus text format; a plain node:http handler, so
 * that the worker and the broker (no web framework) and the Nest apps (before their auth guard, which
 * wants a user's JWT) serve it alike.
 */
export function serveMetrics(
  registry: Registry,
  token: string,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
    return;
  }
  if (!metricsRequestAllowed(req.headers.authorization, token)) {
    res
      .writeHead(401, { 'www-authenticate': 'Bearer realm="upshift-metrics"', 'content-type': 'text/plain' })
      .end('this endpoint needs Authorization: Bearer <METRICS_TOKEN>\n');
    return;
  }
  registry.metrics().then(
    (text) => {
      res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : text);
    },
    (error: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`metrics could not be collected: ${error instanceof Error ? error.message : String(error)}\n`);
    },
  );
}

/** `serveMetrics` as Express/Connect middleware mounted on METRICS_PATH (the Nest apps). */
export function metricsMiddleware(
  registry: Registry,
  token: string,
): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  return (req, res, next) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== METRICS_PATH) return next();
    serveMetrics(registry, token, req, res);
  };
}
