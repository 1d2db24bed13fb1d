import type { IncomingMessage, ServerResponse } from 'http';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { contextFromCarrier } from './trace-context';
import { tracingEnabled } from './tracing-sdk';

/** What Express adds to a request once a route matched (read at the end, for the span name). */
interface RoutedRequest extends IncomingMessage {
  baseUrl?: string;
  route?: { path?: unknown };
}

/**
 * Express middleware: one SERVER span per request, continuing a caller's `traceparent`, current for
 * the whole handling. Registered first, before the body parser: the request and response emitters are
 * bound to the span's context, because the parser resumes the chain from the socket's 'end' event,
 * which would otherwise run outside it. With tracing off (and for health probes) it only calls `next`.
 */
export function httpServerSpans() {
  return (request: IncomingMessage, response: ServerResponse, next: () => void): void => {
    // Probes would bury the requests that matter.
    if (!tracingEnabled() || request.url?.startsWith('/health/')) return next();
    const method = request.method ?? 'GET';
    const parent = contextFromCarrier(request.headers);
    const span = trace.getTracer('upshift').startSpan(
      method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': method,
          'url.path': (request.url ?? '/').split('?')[0] ?? '/',
        },
      },
      parent,
    );
    const spanContext = trace.setSpan(parent, span);
    context.bind(spanContext, request);
    context.bind(spanContext, response);
    response.once('finish', () => {
      const routed = request as RoutedRequest;
      const routePath = routed.route?.path;
      if (typeof routePath === 'string') {
        const route = `${routed.baseUrl ?? ''}${routePath}`;
        span.setAttribute('http.route', route);
        span.updateName(`${method} ${route}`);
      }
      span.setAttribute('http.response.status_code', response.statusCode);
      if (response.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    response.once('close', () => {
      if (!response.writableFinished) span.end();
    });
    context.with(spanContext, next);
  };
}
