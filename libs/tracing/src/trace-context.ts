import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, Context, Link, Span, TextMapGetter } from '@opentelemetry/api';
import { tracingEnabled } from './tracing-sdk';

export { SpanKind } from '@opentelemetry/api';

/**
 * W3C trace context as the CloudEvents distributed-tracing extension carries it: two extension
 * attributes of the event envelope (and the same names work as HTTP headers or job data).
 */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

const NO_CONTEXT: TraceCarrier = Object.freeze({});
const TRACER_NAME = 'upshift';

/** Reads the two attributes off any object (an envelope, job data, a carrier), ignoring non-strings. */
const attributeGetter: TextMapGetter<unknown> = {
  keys: () => ['traceparent', 'tracestate'],
  get: (carrier, key) => {
    if (carrier === null || typeof carrier !== 'object') return undefined;
    const value = (carrier as Record<string, unknown>)[key];
    return typeof value === 'string' ? value : undefined;
  },
};

/** The current span's context as a carrier; empty when tracing is off or no span is current. */
export function currentTraceCarrier(): TraceCarrier {
  if (!tracingEnabled() || trace.getActiveSpan() === undefined) return NO_CONTEXT;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/**
 * The envelope (or any object) with the current trace context added as `traceparent`/`tracestate`;
 * the same object when there is nothing to add or it already carries one (a re-publication keeps the
 * context it was first written with).
 */
export function withTraceContext<T extends object>(value: T): T {
  if (!tracingEnabled() || 'traceparent' in value) return value;
  const carrier = currentTraceCarrier();
  return carrier.traceparent === undefined ? value : { ...value, ...carrier };
}

/** The trace-context attributes of an envelope (or any object), without the rest of it. */
export function traceCarrierOf(value: unknown): TraceCarrier {
  const traceparent = attributeGetter.get(value, 'traceparent');
  if (typeof traceparent !== 'string') return NO_CONTEXT;
  const tracestate = attributeGetter.get(value, 'tracestate');
  return typeof tracestate === 'string' ? { traceparent, tracestate } : { traceparent };
}

/** The context a carrier names (its span as the remote parent), or the root context if it names none. */
export function contextFromCarrier(carrier: unknown): Context {
  return propagation.extract(ROOT_CONTEXT, carrier, attributeGetter);
}

export interface SpanOptions {
  kind?: SpanKind;
  /** Continue this carrier's trace; without it, the current span's (or a new trace). */
  parent?: unknown;
  /** Other carriers the work also serves (e.g. the other results applied in the same transaction). */
  links?: readonly unknown[];
  attributes?: Attributes;
}

/**
 * Runs `work` inside a span that ends when it settles (an error is recorded on it and rethrown). With
 * tracing off this is a plain call of `work`.
 */
export function inSpan<T>(name: string, options: SpanOptions, work: () => Promise<T>): Promise<T> {
  if (!tracingEnabled()) return work();
  const parent = options.parent === undefined ? context.active() : contextFromCarrier(options.parent);
  const links: Link[] = [];
  for (const carrier of options.links ?? []) {
    const linked = trace.getSpanContext(contextFromCarrier(carrier));
    if (linked) links.push({ context: linked });
  }
  const span = trace
    .getTracer(TRACER_NAME)
    .startSpan(
      name,
      { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes, links },
      parent,
    );
  let running: Promise<T>;
  try {
    running = context.with(trace.setSpan(parent, span), work);
  } catch (error) {
    running = Promise.reject(error);
  }
  return running.then(
    (result) => {
      span.end();
      return result;
    },
    (error: unknown) => {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : undefined,
      });
      span.end();
      throw error;
    },
  );
}

/** Starts a span the caller ends (for work that is not one promise); undefined when tracing is off. */
export function startSpan(name: string, options: SpanOptions): Span | undefined {
  if (!tracingEnabled()) return undefined;
  const parent = options.parent === undefined ? context.active() : contextFromCarrier(options.parent);
  return trace
    .getTracer(TRACER_NAME)
    .startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes }, parent);
}
