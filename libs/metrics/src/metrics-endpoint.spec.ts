import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter } from 'prom-client';
import { cumulativeCounter } from './cumulative-counter';
import { metricsRequestAllowed, serveMetrics } from './metrics-endpoint';
import { createServiceRegistry } from './service-registry';

const TOKEN = 'a-metrics-token-of-some-length';

describe('metricsRequestAllowed', () => {
  it.each([
    ['no token configured: anyone', undefined, '', true],
    ['no token configured, a header sent anyway', 'Bearer whatever', '', true],
    ['the token', `Bearer ${TOKEN}`, TOKEN, true],
    ['the scheme in any case', `bearer ${TOKEN}`, TOKEN, true],
    ['no header', undefined, TOKEN, false],
    ['another token', 'Bearer a-metrics-token-of-some-lengtX', TOKEN, false],
    ['a prefix of the token', 'Bearer a-metrics', TOKEN, false],
    ['the token with a suffix', `Bearer ${TOKEN}x`, TOKEN, false],
    ['another scheme', `Basic ${TOKEN}`, TOKEN, false],
  ])('%s', (_, header, token, expected) => {
    expect(metricsRequestAllowed(header, token)).toBe(expected);
  });
});

describe('serveMetrics over HTTP', () => {
  let server: Server;
  let url: string;
  let executed = 0;

  beforeAll(async () => {
    const registry = createServiceRegistry('test-service');
    new Counter({ name: 'upshift_test_events_total', help: 'events', registers: [registry] }).inc(3);
    cumulativeCounter(
      registry,
      { name: 'upshift_test_commands_total', help: 'commands', labelNames: ['result'] as const },
      () => [{ labels: { result: 'executed' }, value: executed }],
    );
    server = createServer((req, res) => serveMetrics(registry, TOKEN, req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('answers 401 without the token, naming the header it wants', async () => {
    const response = await fetch(url);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('Bearer');
  });

  it('answers 405 to anything but GET and HEAD', async () => {
    const response = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(405);
  });

  it('serves the text format: the service label, the default metrics prefixed, counters as counted', async () => {
    executed = 4;
    const response = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await response.text();
    expect(text).toContain('upshift_test_events_total{service="test-service"} 3');
    expect(text).toContain('upshift_test_commands_total{result="executed",service="test-service"} 4');
    expect(text).toMatch(/^upshift_process_cpu_user_seconds_total\{service="test-service"\} /m);
    expect(text).toContain('# TYPE upshift_nodejs_eventloop_lag_p99_seconds gauge');
  });

  it('reads cumulative counts afresh on every scrape', async () => {
    executed = 9;
    const text = await (await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(text).toContain('upshift_test_commands_total{result="executed",service="test-service"} 9');
  });
});
