import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { MemoryPanicClock, VixCircuitBreaker } from '../../src/index.js';
import { instrumentOpenTelemetry, SPAN_ATTRIBUTES as A, SPAN_NAMES } from '../../src/otel/index.js';

// The real OpenTelemetry SDK, exporting to memory.

describe('clock-call spans follow round trips, not scopes', () => {
  it('500 scopes observed in one batch, then refreshed in one round, make one clock-call span each', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    let now = Date.UTC(2026, 5, 14, 20, 0, 0);
    const breaker = new VixCircuitBreaker({ clock: new MemoryPanicClock({ now: () => now }), now: () => now, maxPanicScopes: 10_000 });
    const tracing = instrumentOpenTelemetry({ breaker, tracerProvider: provider });
    try {
      await Promise.all(Array.from({ length: 500 }, (_, i) => breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', scope: `m-${i}` })));
      const calls = () => exporter.getFinishedSpans().filter((span) => span.name === SPAN_NAMES.clockCall);
      expect(calls()).toHaveLength(1);
      expect(calls()[0]!.attributes[A.scope]).toBe('m-0'); // decisions asked for it: the first one's scope
      now += 100;
      await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', scope: 'm-0' }); // its own observation, and a round of the 499 others
      await new Promise((resolve) => setImmediate(resolve));
      expect(calls()).toHaveLength(2);
    } finally {
      tracing.dispose();
    }
  });
});
