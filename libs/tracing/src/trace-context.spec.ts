import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  contextFromCarrier,
  currentTraceCarrier,
  inSpan,
  SpanKind,
  traceCarrierOf,
  withTraceContext,
} from './trace-context';
import { registerTracing, tracingEnabled } from './tracing-sdk';

/** The carriers and spans the services use, against a real SDK with an in-memory exporter. */
describe('trace context through envelopes', () => {
  const exporter = new InMemorySpanExporter();
  let stop: () => Promise<void>;

  beforeAll(() => {
    stop = registerTracing('upshift-test', [new SimpleSpanProcessor(exporter)]);
  });
  afterAll(async () => {
    await stop();
    expect(tracingEnabled()).toBe(false);
  });
  beforeEach(() => exporter.reset());

  it('an envelope written inside a span carries it; the consumer continues that trace', async () => {
    const envelope = await inSpan('POST /start', { kind: SpanKind.SERVER }, async () =>
      withTraceContext({ id: 'e1', data: { n: 1 } }),
    );
    expect(envelope).toMatchObject({ id: 'e1', data: { n: 1 }, traceparent: expect.stringMatching(/^00-/) });

    await inSpan('upgrade.commands process', { kind: SpanKind.CONSUMER, parent: envelope }, async () => {
      await inSpan('agent upgrade', { kind: SpanKind.CLIENT }, async () => {
        expect(currentTraceCarrier().traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      });
    });

    const spans = exporter.getFinishedSpans();
    const byName = new Map(spans.map((s) => [s.name, s]));
    const server = byName.get('POST /start');
    const consumer = byName.get('upgrade.commands process');
    const client = byName.get('agent upgrade');
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    expect(consumer?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId);
    expect(client?.parentSpanContext?.spanId).toBe(consumer?.spanContext().spanId);
  });

  it('keeps the context an envelope was first written with', async () => {
    const first = await inSpan('first', {}, async () => withTraceContext({ id: 'e2' }));
    const again = await inSpan('second', {}, async () => withTraceContext(first));
    expect(again).toBe(first);
  });

  it('records a failure on the span and rethrows it', async () => {
    await expect(
      inSpan('failing', {}, async () => {
        throw new Error('agent unreachable');
      }),
    ).rejects.toThrow('agent unreachable');
    const [span] = exporter.getFinishedSpans();
    expect(span?.status.code).toBe(2);
    expect(span?.events.map((e) => e.name)).toEqual(['exception']);
  });

  it('links the other carriers a span serves', async () => {
    const a = await inSpan('a', {}, async () => currentTraceCarrier());
    const b = await inSpan('b', {}, async () => currentTraceCarrier());
    await inSpan('apply', { parent: a, links: [b] }, async () => undefined);
    const apply = exporter.getFinishedSpans().find((s) => s.name === 'apply');
    expect(apply?.spanContext().traceId).toBe(a.traceparent?.split('-')[1]);
    expect(apply?.links.map((l) => l.context.traceId)).toEqual([b.traceparent?.split('-')[1]]);
  });

  it('ignores what is not a trace context', () => {
    expect(traceCarrierOf({ traceparent: 42 })).toEqual({});
    expect(traceCarrierOf(null)).toEqual({});
    expect(trace.getSpanContext(contextFromCarrier({ traceparent: 'garbage' }))).toBeUndefined();
  });
});
