import type * as OtelApi from '@opentelemetry/api';
import type { Context, Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Disposable } from '../../core/event.js';
import type { TracedBreaker } from '../../otel/open-telemetry-tracing.js';
import { OpenTelemetryTracing } from '../../otel/open-telemetry-tracing.js';

/**
 * The module the service imports at run time, named through a variable so that
 * neither Node at startup nor a bundler requires it: `@opentelemetry/api` is an
 * optional peer dependency.
 */
const API_MODULE = '@opentelemetry/api';

/** `@opentelemetry/api` when it can be imported from here, else null (the service then traces nothing and costs nothing). */
export async function importOpenTelemetryApi(): Promise<typeof OtelApi | null> {
  try {
    const api = (await import(API_MODULE)) as typeof OtelApi;
    return typeof api.trace?.getTracerProvider === 'function' && typeof api.context?.with === 'function' ? api : null;
  } catch {
    return null;
  }
}

interface TracedRequest {
  context: Context;
  /** The span this hook started, or null when another instrumentation's span was already active. */
  span: Span | null;
}

/**
 * Traces the service with OpenTelemetry: the breaker's spans (see
 * {@link OpenTelemetryTracing}) and one SERVER span per request, continued from the
 * caller's `traceparent` through the API's propagator, named after the route
 * template (never the raw URL). When an HTTP instrumentation already made the
 * request's span, it is the parent instead. The request's context is made active
 * for the handler, so the breaker's spans are its children. While no SDK is
 * registered every hook returns at once.
 */
export function traceService(app: FastifyInstance, api: typeof OtelApi, breaker: TracedBreaker): Disposable {
  const tracing = new OpenTelemetryTracing(api, { breaker });
  const requests = new WeakMap<FastifyRequest, TracedRequest>();
  const getter: OtelApi.TextMapGetter<FastifyRequest['headers']> = {
    keys: (headers) => Object.keys(headers),
    get: (headers, key) => headers[key],
  };

  app.addHook('onRequest', (request, _reply, done) => {
    if (!tracing.active) return done();
    const active = api.context.active();
    let traced: TracedRequest;
    if (api.trace.getSpan(active) !== undefined) {
      traced = { context: active, span: null };
    } else {
      const parent = api.propagation.extract(api.ROOT_CONTEXT, request.headers, getter);
      const route = request.routeOptions.url;
      const attributes: OtelApi.Attributes = { 'http.request.method': request.method };
      if (route !== undefined) attributes['http.route'] = route;
      const span = tracing.tracer.startSpan(route === undefined ? request.method : `${request.method} ${route}`, { kind: api.SpanKind.SERVER, attributes }, parent);
      traced = { context: api.trace.setSpan(parent, span), span };
    }
    requests.set(request, traced);
    api.context.with(traced.context, done);
  });
  // After the body is read (its stream events run outside the request's context): the handler runs inside it.
  app.addHook('preHandler', (request, _reply, done) => {
    const traced = requests.get(request);
    if (traced === undefined) return done();
    api.context.with(traced.context, done);
  });
  app.addHook('onResponse', (request, reply, done) => {
    const span = requests.get(request)?.span;
    requests.delete(request);
    if (span) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR });
      span.end();
    }
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    const span = requests.get(request)?.span;
    requests.delete(request);
    if (span) {
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: 'the client closed the connection first' });
      span.end();
    }
    done();
  });
  return tracing;
}
