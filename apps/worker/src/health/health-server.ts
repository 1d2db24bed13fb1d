import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { METRICS_PATH, serveMetrics } from '@upshift/metrics';
import type { Registry } from 'prom-client';
import type { ConsumerState } from '../consumer/command-consumer';

/** A readiness probe gives up on a check after this long (the probe's own timeout is longer). */
const CHECK_TIMEOUT_MS = 2_000;

/** What readiness looks at: the command consumer's state and a Redis round trip. */
export interface WorkerHealthChecks {
  consumer: () => ConsumerState;
  redisPing: () => Promise<unknown>;
}

export interface WorkerHealthServer {
  /** The port it listens on (the configured one, or the one picked for 0). */
  port: number;
  close(): Promise<void>;
}

interface Check {
  status: 'up' | 'down';
  detail: string;
}

async function bounded(check: () => Promise<unknown>): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const reply = await Promise.race([
      check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)),
          CHECK_TIMEOUT_MS,
        );
      }),
    ]);
    return { status: 'up', detail: String(reply) };
  } catch (error) {
    return { status: 'down', detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** What `/metrics` serves, and the bearer token it wants (empty: none, docs/adr/0086-metrics-endpoints.md). */
export interface WorkerMetricsEndpoint {
  registry: Registry;
  token: string;
}

/**
 * The worker's probes (and, given `metrics`, its `GET /metrics`) on plain node:http (the worker has no web framework, ADR 0062), unauthenticated
 * like the services' own (ADR 0079):
 * - `GET /health/live`: 200 while the event loop answers; touches nothing else, so a Redis or Kafka
 *   outage never gets a worker restarted;
 * - `GET /health/ready`: 200 when the command consumer is running (connected, in its group) and Redis
 *   answers a PING; else 503 naming what is down.
 */
export async function startHealthServer(
  port: number,
  checks: WorkerHealthChecks,
  logger: Logger,
  metrics?: WorkerMetricsEndpoint,
): Promise<WorkerHealthServer> {
  const ready = async (res: ServerResponse) => {
    const consumerState = checks.consumer();
    const consumer: Check = { status: consumerState === 'running' ? 'up' : 'down', detail: consumerState };
    const redis = await bounded(checks.redisPing);
    const up = consumer.status === 'up' && redis.status === 'up';
    send(res, up ? 200 : 503, { status: up ? 'ok' : 'error', details: { consumer, redis } });
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === METRICS_PATH && metrics !== undefined)
      return serveMetrics(metrics.registry, metrics.token, req, res);
    if (path !== '/health/live' && path !== '/health/ready') return send(res, 404, { status: 'not found' });
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, { status: 'method not allowed' });
    if (path === '/health/live') return send(res, 200, { status: 'ok' });
    ready(res).catch((error: unknown) => {
      logger.warn({ err: error }, 'readiness probe failed');
      send(res, 503, { status: 'error' });
    });
  });
  // A probe connection must not keep a stopping worker alive.
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  logger.info(
    { port: bound, metrics: metrics !== undefined },
    'health probes listening on /health/live and /health/ready (and /metrics)',
  );
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
