import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemoryPanicClock } from '../../src/index.js';
import { createServer, type VixTtlServer } from '../../src/server/http/create-server.js';
import { SPAN_ATTRIBUTES as A, SPAN_NAMES } from '../../src/otel/index.js';
import { postJson } from '../server/http-helpers.js';
import { rawExchange } from '../server/raw-socket.js';

// The service under the real SDK, registered as an application registers it: a global
// tracer provider, the W3C trace-context propagator and the AsyncLocalStorage context manager.

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const spans = (name?: string): ReadableSpan[] => exporter.getFinishedSpans().filter((s) => name === undefined || s.name === name);

let server: VixTtlServer;
let base: string;

async function start(openTelemetry?: boolean): Promise<void> {
  const clock = new MemoryPanicClock();
  await clock.startPanic('epl', { ageMs: 100 * 60_000 });
  server = await createServer({ clock, vixSource: null, defaultMetrics: false, syncIntervalMs: 0, ...(openTelemetry === undefined ? {} : { openTelemetry }) });
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  base = server.app.listeningOrigin;
}

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
});
afterAll(() => {
  trace.disable();
  propagation.disable();
  context.disable();
});
afterEach(async () => {
  await server.app.close();
  exporter.reset();
});

const decide = (headers: Record<string, string> = {}) => postJson(`${base}/v1/ttl`, JSON.stringify({ baseTtl: 60, vixStatus: 'panic', match: { league: 'Premier League' }, scope: 'epl' }), headers);

describe('the service traces each request, continuing the caller’s trace', () => {
  it('POST /v1/ttl with a traceparent: a SERVER span in the caller’s trace, child of the caller’s span, named by the route; the decision and its clock call below it', async () => {
    await start();
    const answer = await decide({ traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` });
    expect(answer.status).toBe(200);
    await vi.waitFor(() => expect(spans('POST /v1/ttl')).toHaveLength(1));
    const [request] = spans('POST /v1/ttl');
    expect(request!.kind).toBe(1); // SpanKind.SERVER
    expect(request!.spanContext().traceId).toBe(TRACE_ID);
    expect(request!.parentSpanContext?.spanId).toBe(CALLER_SPAN);
    expect(request!.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/v1/ttl', 'http.response.status_code': 200 });
    const requestId = request!.spanContext().spanId;
    const [decision] = spans(SPAN_NAMES.decision);
    expect(decision!.parentSpanContext?.spanId).toBe(requestId);
    expect(decision!.spanContext().traceId).toBe(TRACE_ID);
    expect(decision!.attributes).toMatchObject({ [A.scope]: 'epl', [A.tier]: 3, [A.mode]: 'DEGRADED', [A.importance]: 'medium_stakes', [A.ttl]: 30 });
    expect(spans(SPAN_NAMES.clockCall).map((s) => s.parentSpanContext?.spanId)).toEqual([requestId]);
  });

  it('a body that arrives after the headers (read outside the request’s context) still gives a decision under the request span', async () => {
    await start();
    const body = JSON.stringify({ baseTtl: 60, vixStatus: 'panic', scope: 'epl' });
    const head = `POST /v1/ttl HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\ntraceparent: 00-${TRACE_ID}-${CALLER_SPAN}-01\r\n\r\n`;
    const answer = await rawExchange(Number(new URL(base).port), [head, { data: body, delayMs: 100 }]);
    expect(answer.status).toBe(200);
    await vi.waitFor(() => expect(spans('POST /v1/ttl')).toHaveLength(1));
    const [decision] = spans(SPAN_NAMES.decision);
    expect(decision!.parentSpanContext?.spanId).toBe(spans('POST /v1/ttl')[0]!.spanContext().spanId);
  });

  it('concurrent requests of other traces: each decision under its own request span', async () => {
    await start();
    const ids = ['a', 'b', 'c', 'd'].map((c) => c.repeat(32));
    await Promise.all(ids.map((id) => decide({ traceparent: `00-${id}-${CALLER_SPAN}-01` })));
    await vi.waitFor(() => expect(spans('POST /v1/ttl')).toHaveLength(4));
    for (const decision of spans(SPAN_NAMES.decision)) {
      const parent = spans('POST /v1/ttl').find((r) => r.spanContext().spanId === decision.parentSpanContext?.spanId);
      expect(parent?.spanContext().traceId).toBe(decision.spanContext().traceId);
    }
    expect(new Set(spans(SPAN_NAMES.decision).map((s) => s.spanContext().traceId))).toEqual(new Set(ids));
  });

  it('without a traceparent, or with a forged one, the request starts a trace of its own and is served', async () => {
    await start();
    expect((await decide()).status).toBe(200);
    expect((await decide({ traceparent: `00-${'0'.repeat(32)}-${CALLER_SPAN}-01` })).status).toBe(200); // an all-zero trace id is invalid
    expect((await decide({ traceparent: 'x'.repeat(4000), tracestate: 'k=v,'.repeat(500) })).status).toBe(200);
    await vi.waitFor(() => expect(spans('POST /v1/ttl')).toHaveLength(3));
    for (const request of spans('POST /v1/ttl')) expect(request.parentSpanContext).toBeUndefined();
  });

  it('a bad body is a 400 whose span says so; an unknown route is named by its method only (never the raw URL)', async () => {
    await start();
    expect((await postJson(`${base}/v1/ttl`, '{"baseTtl":"x"}')).status).toBe(400);
    expect((await postJson(`${base}/nowhere/${'x'.repeat(200)}`, '{}')).status).toBe(404);
    await vi.waitFor(() => expect(spans()).toHaveLength(2));
    expect(spans('POST /v1/ttl')[0]!.attributes['http.response.status_code']).toBe(400);
    const [unknown] = spans('POST');
    expect(unknown!.attributes['http.route']).toBeUndefined();
    expect(unknown!.attributes['http.response.status_code']).toBe(404);
  });

  it('openTelemetry: false traces nothing', async () => {
    await start(false);
    expect((await decide({ traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    expect(spans()).toEqual([]);
  });
});
