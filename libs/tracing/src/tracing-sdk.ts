import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { tracingSettingsFromEnv } from './tracing-settings';
import type { TracingSettings } from './tracing-settings';

/** A started (or deliberately not started) tracing SDK. */
export interface Tracing {
  readonly enabled: boolean;
  readonly settings: TracingSettings;
  /** Exports what is buffered and stops the SDK; a no-op when tracing is off. */
  shutdown(): Promise<void>;
}

let active = false;

/**
 * True once an SDK is registered in this process. The hot paths ask this before doing any tracing work
 * (an extra SQL column, a span per outbox row), so that with tracing off they cost one boolean test.
 */
export function tracingEnabled(): boolean {
  return active;
}

/**
 * Registers a tracer provider with the given span processors, the AsyncLocalStorage context manager
 * (so a span stays current across awaits) and the W3C trace-context propagator. Exported for tests,
 * which pass an in-memory exporter; services call `startTracing`.
 */
export function registerTracing(serviceName: string, spanProcessors: SpanProcessor[]): () => Promise<void> {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  // OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME (envDetector) win over the service's default name.
  const resource = resourceFromAttributes({ 'service.name': serviceName }).merge(
    detectResources({ detectors: [envDetector] }),
  );
  const provider = new BasicTracerProvider({ resource, spanProcessors });
  trace.setGlobalTracerProvider(provider);
  active = true;
  return async () => {
    active = false;
    await provider.shutdown();
    trace.disable();
    propagation.disable();
    context.disable();
  };
}

/**
 * Starts tracing for a service from the OTEL_* variables, first thing in its main. Off by default:
 * without an endpoint or exporter nothing is registered and the OpenTelemetry API stays its no-op.
 */
export function startTracing(defaultServiceName: string, env: NodeJS.ProcessEnv = process.env): Tracing {
  const settings = tracingSettingsFromEnv(defaultServiceName, env);
  if (!settings.enabled || active) {
    return { enabled: active, settings, shutdown: async () => undefined };
  }
  // The exporter reads OTEL_EXPORTER_OTLP_* (endpoint, headers, timeout) and the batch processor
  // OTEL_BSP_* by themselves.
  const stop = registerTracing(settings.serviceName, [new BatchSpanProcessor(new OTLPTraceExporter())]);
  return { enabled: true, settings, shutdown: stop };
}
