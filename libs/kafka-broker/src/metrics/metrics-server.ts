import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import type { BrokerTraffic, TopicTotals } from './broker-traffic';

export interface BrokerMetricsServer {
  /** http://host:port/metrics */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * `GET /metrics` for the embedded broker on a port of its own (the Kafka port speaks only Kafka):
 * Node's process metrics and the per-topic traffic, with the names and `service` label the Upshift
 * services use (docs/adr/0086-metrics-endpoints.md). Unauthenticated, like the broker's plain listener;
 * bind it to an address only the scraper reaches.
 */
export async function startBrokerMetricsServer(
  traffic: BrokerTraffic,
  options: { port: number; host?: string },
): Promise<BrokerMetricsServer> {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'kafka-broker' });
  collectDefaultMetrics({ register: registry, prefix: 'upshift_' });
  const perTopic = (
    name: string,
    help: string,
    totals: Map<string, TopicTotals>,
    field: keyof TopicTotals,
  ): void => {
    new Counter({
      name,
      help,
      labelNames: ['topic'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const [topic, t] of totals) this.inc({ topic }, t[field]);
      },
    });
  };
  perTopic(
    'upshift_broker_messages_in_total',
    'Records appended by Produce, per topic',
    traffic.in,
    'messages',
  );
  perTopic(
    'upshift_broker_bytes_in_total',
    'Record-batch bytes appended by Produce, per topic',
    traffic.in,
    'bytes',
  );
  perTopic(
    'upshift_broker_messages_out_total',
    'Records returned by Fetch, per topic',
    traffic.out,
    'messages',
  );
  perTopic(
    'upshift_broker_bytes_out_total',
    'Record-batch bytes returned by Fetch, per topic',
    traffic.out,
    'bytes',
  );

  const server = createServer((req, res) => {
    if ((req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only /metrics here\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) => res.writeHead(500).end(String(error)),
    );
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}/metrics`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
