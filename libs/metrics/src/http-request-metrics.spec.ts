import type { IncomingMessage } from 'node:http';
import { OTHER_ROUTE, routeLabel, statusClass } from './http-request-metrics';

describe('statusClass', () => {
  it.each([
    [200, '2xx'],
    [204, '2xx'],
    [301, '3xx'],
    [404, '4xx'],
    [429, '4xx'],
    [503, '5xx'],
    [0, 'other'],
    [600, 'other'],
  ])('%i → %s', (status, expected) => {
    expect(statusClass(status)).toBe(expected);
  });
});

describe('routeLabel', () => {
  const req = (extra: Record<string, unknown>) => ({ url: '/x', ...extra }) as unknown as IncomingMessage;

  it("is the matched route's template, never the path with its ids", () => {
    expect(routeLabel(req({ route: { path: '/api/v1/registry/upgrades/:executionId' } }))).toBe(
      '/api/v1/registry/upgrades/:executionId',
    );
  });

  it("prefixes a mounted router's base", () => {
    expect(routeLabel(req({ baseUrl: '/api', route: { path: '/items/:id' } }))).toBe('/api/items/:id');
  });

  it('is (other) for a request no route matched (404s, proxied paths)', () => {
    expect(routeLabel(req({}))).toBe(OTHER_ROUTE);
  });
});
