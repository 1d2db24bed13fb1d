import { context, propagation, trace } from '@opentelemetry/api';
import { currentTraceCarrier, inSpan, withTraceContext } from './trace-context';
import { startTracing, tracingEnabled } from './tracing-sdk';

/** Without OTEL_* variables a service starts no SDK: the API stays its no-op, the helpers pass through. */
describe('startTracing with no OTEL_* variables', () => {
  it('starts nothing and leaves the OpenTelemetry API as its no-op', async () => {
    const tracing = startTracing('upshift-test', {});
    expect(tracing.enabled).toBe(false);
    expect(tracing.settings.reason).toMatch(/no OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(tracingEnabled()).toBe(false);

    // No provider, propagator or context manager was registered.
    const span = trace.getTracer('probe').startSpan('probe');
    expect(span.isRecording()).toBe(false);
    expect(trace.isSpanContextValid(span.spanContext())).toBe(false);
    const carrier: Record<string, string> = {};
    propagation.inject(trace.setSpan(context.active(), span), carrier);
    expect(carrier).toEqual({});
    const inside = context.with(trace.setSpan(context.active(), span), () => trace.getActiveSpan());
    expect(inside).toBeUndefined();
    await tracing.shutdown();
  });

  it('adds nothing to envelopes and runs work without a span', async () => {
    startTracing('upshift-test', {});
    const envelope = { id: 'e1', type: 'upshift.command.v1' };
    expect(withTraceContext(envelope)).toBe(envelope);
    expect(currentTraceCarrier()).toEqual({});
    const seen = await inSpan('work', {}, async () => trace.getActiveSpan());
    expect(seen).toBeUndefined();
  });
});
