import { collectDefaultMetrics, Registry } from 'prom-client';

/** Every metric Upshift exports starts with this (docs/adr/0086-metrics-endpoints.md). */
export const METRIC_PREFIX = 'upshift_';

let processMetrics: Registry | null = null;

/**
 * Node's process, heap, event-loop and GC metrics, collected once per process: each collection starts
 * its own event-loop monitor and GC observer, which tests that build many apps in one process would
 * otherwise pile up.
 */
function processRegistry(): Registry {
  if (processMetrics === null) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics, prefix: METRIC_PREFIX });
  }
  return processMetrics;
}

/**
 * A registry of one service's metrics, with the process metrics (prefixed `upshift_`) and a `service`
 * label on every series. One registry per service instance, never prom-client's global one: tests run a
 * registry and an orchestrator in one process, and each /metrics must show its own service's metrics.
 */
export function createServiceRegistry(service: string): Registry {
  const registry = Registry.merge([processRegistry(), new Registry()]);
  registry.setDefaultLabels({ service });
  return registry;
}
