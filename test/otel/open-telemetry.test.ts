import { context, trace, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AdaptiveCache, InvalidConfigError, MemoryCacheStore, MemoryPanicClock, RedisPanicClock, VixCircuitBreaker, type AdaptiveCacheOptions } from '../../src/index.js';
import { instrumentOpenTelemetry, SPAN_ATTRIBUTES as A, SPAN_NAMES, type OpenTelemetryTracing } from '../../src/otel/index.js';
import { RedisServer } from '../support/redis-server.js';

// The real OpenTelemetry SDK: a BasicTracerProvider exporting to memory, and the
// AsyncLocalStorage context manager an application registers (no mock anywhere).

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const caller: Tracer = provider.getTracer('the caller');
const contextManager = new AsyncLocalStorageContextManager();
const open: OpenTelemetryTracing[] = [];

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(() => {
  context.disable();
});
afterEach(() => {
  for (const tracing of open.splice(0)) tracing.dispose();
  trace.disable();
  exporter.reset();
});

function traced(options: Parameters<typeof instrumentOpenTelemetry>[0]): OpenTelemetryTracing {
  const tracing = instrumentOpenTelemetry(options);
  open.push(tracing);
  return tracing;
}

/** Runs `work` inside a span of the caller's own, ended when `work` settles; resolves with that span's id. */
async function under(name: string, work: () => Promise<unknown>): Promise<string> {
  return caller.startActiveSpan(name, async (span) => {
    try {
      await work();
    } finally {
      span.end();
    }
    return span.spanContext().spanId;
  });
}

const spans = (name?: string): ReadableSpan[] => exporter.getFinishedSpans().filter((s) => name === undefined || s.name === name);
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const ms = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;

const MINUTE = 60_000;
const EPL = { league: 'Premier League' };

describe('the breaker: a decision that reaches the clock is a span under the caller', () => {
  it('carries tier, mode, importance, TTL, scope and panic duration; the clock call beside it carries kind and outcome; both inside the caller span', async () => {
    const clock = new MemoryPanicClock();
    await clock.startPanic('epl', { ageMs: 45 * MINUTE });
    const breaker = new VixCircuitBreaker({ clock, syncIntervalMs: 60_000 });
    traced({ breaker, tracerProvider: provider });

    const parent = await under('POST /v1/ttl', () => breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', match: EPL, scope: 'epl' }));

    const [decision] = spans(SPAN_NAMES.decision);
    const [call] = spans(SPAN_NAMES.clockCall);
    const [request] = spans('POST /v1/ttl');
    expect(parentOf(decision!)).toBe(parent);
    expect(parentOf(call!)).toBe(parent);
    expect(decision!.spanContext().traceId).toBe(request!.spanContext().traceId);
    expect(decision!.attributes).toMatchObject({ [A.scope]: 'epl', [A.tier]: 2, [A.mode]: 'PANIC_PARTIAL', [A.importance]: 'medium_stakes', [A.ttl]: 5, [A.failSafe]: false });
    expect(decision!.attributes[A.panicDuration]).toBeCloseTo(45, 0);
    expect(decision!.attributes[A.failSafeReason]).toBeUndefined();
    expect(call!.attributes).toMatchObject({ [A.scope]: 'epl', [A.clockKind]: 'panic', [A.clockOutcome]: 'ok', [A.clockStore]: 'memory' });
    // The SDK places each span on Date.now() plus the performance clock's offset to it, read as the
    // span starts: Date.now() counts whole ms, and a thread preempted between the two reads (for
    // milliseconds, on a loaded machine) shifts where a span is drawn, not how long it is. So each
    // is no longer than the caller's span, and drawn inside it give or take that anchor's error.
    const ANCHOR_ERROR_MS = 50;
    for (const span of [decision!, call!]) {
      expect(ms(span.duration)).toBeLessThanOrEqual(ms(request!.duration));
      expect(ms(span.startTime)).toBeGreaterThanOrEqual(ms(request!.startTime) - ANCHOR_ERROR_MS);
      expect(ms(span.endTime)).toBeLessThanOrEqual(ms(request!.endTime) + ANCHOR_ERROR_MS);
      expect(ms(span.endTime)).toBeGreaterThanOrEqual(ms(span.startTime));
    }
  });

  it('a decision from the sync window makes no span (no round trip to draw)', async () => {
    const breaker = new VixCircuitBreaker({ clock: new MemoryPanicClock(), syncIntervalMs: 60_000 });
    traced({ breaker, tracerProvider: provider });
    await under('first', () => breaker.getTtl({ baseTtl: 60, vixStatus: 'calm' }));
    await under('second', async () => {
      for (let i = 0; i < 10; i += 1) await breaker.getTtl({ baseTtl: 60, vixStatus: 'calm' });
    });
    expect(spans(SPAN_NAMES.decision)).toHaveLength(1);
    expect(spans(SPAN_NAMES.clockCall)).toHaveLength(1);
  });

  it('concurrent callers under different spans: each decision span has its own caller as parent, the one shared clock call its first caller', async () => {
    const breaker = new VixCircuitBreaker({ clock: new MemoryPanicClock(), syncIntervalMs: 0 });
    traced({ breaker, tracerProvider: provider });
    const input = { baseTtl: 60, vixStatus: 'panic', match: EPL, scope: 'shared' } as const;
    const [a, b, c] = await Promise.all(['A', 'B', 'C'].map((name) => under(name, () => breaker.getTtl(input))));
    const decisions = spans(SPAN_NAMES.decision);
    expect(decisions.map(parentOf).sort()).toEqual([a, b, c].sort());
    const calls = spans(SPAN_NAMES.clockCall);
    expect(calls).toHaveLength(1); // they shared one observation
    expect(parentOf(calls[0]!)).toBe(a);
  });

  it('without a caller span, the spans are roots of their own traces', async () => {
    const breaker = new VixCircuitBreaker({ clock: new MemoryPanicClock(), syncIntervalMs: 0 });
    traced({ breaker, tracerProvider: provider });
    await breaker.getTtl({ baseTtl: 60, vixStatus: 'calm' });
    const [decision] = spans(SPAN_NAMES.decision);
    expect(decision!.parentSpanContext).toBeUndefined();
    expect(decision!.attributes).toMatchObject({ [A.scope]: 'global', [A.tier]: 0, [A.mode]: 'NORMAL', [A.ttl]: 60 });
  });
});

describe('the breaker against a real redis-server that stops answering', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    redis.resume();
    await redis.stop();
  });

  it('the fail-safe decision carries its reason; the clock call that timed out is an error span', async () => {
    const client = redis.client({ maxRetriesPerRequest: null });
    const breaker = new VixCircuitBreaker({ clock: new RedisPanicClock(client, { timeoutMs: 50 }), timeoutMs: 50, syncIntervalMs: 0 });
    traced({ breaker, tracerProvider: provider });
    await client.ping(); // connected before the pause, so the timeout is the store's, not the connection's
    redis.pause();
    try {
      const parent = await under('during the pause', () => breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', match: EPL, scope: 'paused' }));
      const [decision] = spans(SPAN_NAMES.decision);
      expect(parentOf(decision!)).toBe(parent);
      expect(decision!.attributes).toMatchObject({ [A.failSafe]: true, [A.failSafeReason]: 'store_timeout', [A.tier]: 1, [A.ttl]: 0, [A.mode]: 'PANIC_FULL' });
      const [call] = spans(SPAN_NAMES.clockCall);
      expect(call!.attributes).toMatchObject({ [A.clockOutcome]: 'timeout', [A.clockStore]: 'redis', [A.errorType]: 'store_timeout' });
      expect(call!.status.code).toBe(2); // SpanStatusCode.ERROR
      expect(ms(call!.endTime) - ms(call!.startTime)).toBeGreaterThanOrEqual(45); // drawn over the wait it stands for
    } finally {
      redis.resume();
      client.disconnect();
      await breaker.close();
    }
  });
});

describe('the cache: calls past the in-process tier, loads and refreshes are spans under the caller', () => {
  function fixture(options: Partial<AdaptiveCacheOptions> = {}) {
    let now = Date.UTC(2026, 5, 14, 20, 0, 0);
    const time = () => now;
    const breaker = new VixCircuitBreaker({ clock: new MemoryPanicClock({ now: time }), syncIntervalMs: 0, now: time });
    const cache = new AdaptiveCache({ breaker, store: new MemoryCacheStore({ now: time }), ...options });
    traced({ breaker, cache, tracerProvider: provider });
    return { cache, advance: (msToAdd: number) => (now += msToAdd) };
  }
  const calm = (baseTtl = 10, scope?: string) => ({ baseTtl, vixStatus: 'calm' as const, match: EPL, ...(scope === undefined ? {} : { scope }) });

  it('a miss runs the loader (load span, outcome ok); the next call is a hit with the entry’s age, and no load', async () => {
    const { cache, advance } = fixture();
    const first = await under('miss', () => cache.getOrLoad('odds:psg-om', async () => ({ home: 1.85 }), calm(10, 'ligue-1')));
    advance(3000);
    const second = await under('hit', () => cache.getOrLoad('odds:psg-om', async () => ({ home: 9 }), calm(10, 'ligue-1')));
    const gets = spans(SPAN_NAMES.cacheGet);
    expect(gets.map((s) => [parentOf(s), s.attributes[A.cacheStatus]])).toEqual([
      [first, 'miss'],
      [second, 'hit'],
    ]);
    expect(gets[0]!.attributes).toMatchObject({ [A.cacheKey]: 'odds:psg-om', [A.scope]: 'ligue-1', [A.tier]: 0, [A.ttl]: 10, [A.importance]: 'medium_stakes' });
    expect(gets[0]!.attributes[A.entryAge]).toBeUndefined();
    expect(gets[1]!.attributes[A.entryAge]).toBe(3000);
    const loads = spans(SPAN_NAMES.cacheLoad);
    expect(loads).toHaveLength(1);
    expect(parentOf(loads[0]!)).toBe(first);
    expect(loads[0]!.attributes).toMatchObject({ [A.cacheKey]: 'odds:psg-om', [A.loaderOutcome]: 'ok' });
    // Each call also reached the clock (syncIntervalMs 0): its decision is a sibling under the same caller.
    expect(spans(SPAN_NAMES.decision).map(parentOf)).toEqual([first, second]);
  });

  it('concurrent callers of one key: one miss, the others coalesced, each get span under its own caller, one load', async () => {
    const { cache } = fixture();
    let release: (value: string) => void = () => {};
    const loader = () => new Promise<string>((resolve) => (release = resolve));
    const runs = ['A', 'B', 'C'].map((name) => under(name, () => cache.getOrLoad('odds:1', loader, calm())));
    await new Promise((r) => setTimeout(r, 20));
    release('v');
    const parents = await Promise.all(runs);
    const byParent = new Map(spans(SPAN_NAMES.cacheGet).map((s) => [parentOf(s), s.attributes[A.cacheStatus]]));
    expect(parents.map((p) => byParent.get(p))).toEqual(['miss', 'coalesced', 'coalesced']);
    expect(spans(SPAN_NAMES.cacheLoad)).toHaveLength(1);
  });

  it('a failed load with a stale entry: status stale, the load span an error; without one: status error naming the error', async () => {
    const { cache, advance } = fixture({ staleIfErrorSeconds: 60 });
    await cache.getOrLoad('odds:2', async () => 'old', calm(1));
    advance(5000); // past the 1 s TTL, inside the 60 s stale window
    exporter.reset();
    const parent = await under('stale', () => cache.getOrLoad('odds:2', async () => Promise.reject(new Error('backend down')), calm(1)));
    const [get] = spans(SPAN_NAMES.cacheGet);
    expect(parentOf(get!)).toBe(parent);
    expect(get!.attributes[A.cacheStatus]).toBe('stale');
    expect(get!.attributes[A.entryAge]).toBeGreaterThanOrEqual(5000); // store age, plus the time since the read (an upper bound)
    expect(get!.attributes[A.entryAge]).toBeLessThan(6000);
    const [load] = spans(SPAN_NAMES.cacheLoad);
    expect(load!.attributes[A.loaderOutcome]).toBe('error');
    expect(load!.status.code).toBe(2);

    exporter.reset();
    await under('error', () => cache.getOrLoad('odds:never', async () => Promise.reject(new TypeError('bad payload')), calm(1)).catch(() => undefined));
    const [failed] = spans(SPAN_NAMES.cacheGet);
    expect(failed!.attributes).toMatchObject({ [A.cacheStatus]: 'error', [A.errorType]: 'TypeError' });
    expect(failed!.status).toMatchObject({ code: 2, message: 'bad payload' });
  });

  it('a loader that never settles: the load span is drawn over loadTimeout.hard, outcome timeout', async () => {
    const { cache } = fixture({ loadTimeout: { hard: 30 } });
    await under('hung', () => cache.getOrLoad('odds:hung', () => new Promise<string>(() => {}), calm()).catch(() => undefined));
    const [load] = spans(SPAN_NAMES.cacheLoad);
    expect(load!.attributes).toMatchObject({ [A.loaderOutcome]: 'timeout', [A.errorType]: 'VIX_TTL_LOAD_TIMEOUT' });
    // Drawn over the 30 ms it waited: timers never fire early, and a loaded machine may fire this one late.
    expect(ms(load!.duration)).toBeGreaterThanOrEqual(29.5);
    expect(ms(load!.duration)).toBeLessThan(5000);
    const [get] = spans(SPAN_NAMES.cacheGet);
    expect(get!.attributes).toMatchObject({ [A.cacheStatus]: 'error', [A.errorType]: 'VIX_TTL_LOAD_TIMEOUT' });
  });

  it('refresh ahead: the background reload is a span under the caller whose hit started it, with its outcome', async () => {
    const { cache, advance } = fixture({ refreshAhead: 0.5 });
    await cache.getOrLoad('odds:3', async () => 'v1', calm(10));
    advance(6000);
    exporter.reset();
    let reloaded: () => void = () => {};
    const done = new Promise<void>((resolve) => (reloaded = resolve));
    const parent = await under('hit past half the TTL', () => cache.getOrLoad('odds:3', async () => (reloaded(), 'v2'), calm(10)));
    await done;
    await new Promise((r) => setTimeout(r, 20));
    const [refresh] = spans(SPAN_NAMES.cacheRefresh);
    expect(parentOf(refresh!)).toBe(parent);
    expect(refresh!.attributes).toMatchObject({ [A.cacheKey]: 'odds:3', [A.refreshOutcome]: 'ok' });
  });

  it('hostile input: an invalid scope never becomes an attribute, a long key is cut to 256 characters', async () => {
    const { cache } = fixture({ maxKeyLength: 10_000 });
    await cache.getOrLoad('k', async () => 1, { baseTtl: 10, vixStatus: 'calm', scope: 'x'.repeat(5000) }).catch(() => undefined);
    const [invalid] = spans(SPAN_NAMES.cacheGet);
    expect(invalid!.attributes[A.scope]).toBeUndefined();
    expect(invalid!.attributes).toMatchObject({ [A.cacheStatus]: 'error', [A.errorType]: 'VIX_TTL_INVALID_INPUT' });
    expect(String(invalid!.status.message).length).toBeLessThanOrEqual(256);
    exporter.reset();
    await cache.getOrLoad('k'.repeat(9000), async () => 1, calm());
    const [long] = spans(SPAN_NAMES.cacheGet);
    expect(String(long!.attributes[A.cacheKey]).length).toBe(256);
  });

  it('each hit through the store is one cache.get span, and no load', async () => {
    const { cache } = fixture();
    await cache.getOrLoad('odds:4', async () => 1, calm());
    exporter.reset();
    for (let i = 0; i < 20; i += 1) await cache.getOrLoad('odds:4', async () => 2, calm());
    expect(spans(SPAN_NAMES.cacheGet)).toHaveLength(20);
    expect(spans(SPAN_NAMES.cacheLoad)).toHaveLength(0);
  });
});

describe('without a registered SDK', () => {
  it('listens to the slow paths only, picks up an SDK registered later at the next clock call, and lets go when it is disabled', async () => {
    const breaker = new VixCircuitBreaker({ clock: new MemoryPanicClock(), syncIntervalMs: 0 });
    const tracing = traced({ breaker });
    expect(tracing.active).toBe(false);
    await under('before the SDK', () => breaker.getTtl({ baseTtl: 60, vixStatus: 'calm' }));
    expect(spans(SPAN_NAMES.decision)).toHaveLength(0);

    trace.setGlobalTracerProvider(provider);
    const parent = await under('after the SDK', () => breaker.getTtl({ baseTtl: 60, vixStatus: 'calm' }));
    expect(tracing.active).toBe(true);
    expect(spans(SPAN_NAMES.decision).map(parentOf)).toEqual([parent]);
    expect(spans(SPAN_NAMES.clockCall).map(parentOf)).toEqual([parent]);

    trace.disable();
    await breaker.getTtl({ baseTtl: 60, vixStatus: 'calm' });
    expect(tracing.active).toBe(false);
  });

  it('a cache traced alone (no breaker given) checks at each call past its in-process tier', async () => {
    const breaker = new VixCircuitBreaker({ clock: new MemoryPanicClock(), syncIntervalMs: 60_000 });
    const cache = new AdaptiveCache({ breaker, store: new MemoryCacheStore() });
    const tracing = traced({ cache });
    await cache.getOrLoad('k', async () => 1, { baseTtl: 60, vixStatus: 'calm' });
    expect(tracing.active).toBe(false);
    trace.setGlobalTracerProvider(provider);
    const parent = await under('after the SDK', () => cache.getOrLoad('k', async () => 2, { baseTtl: 60, vixStatus: 'calm' }));
    expect(tracing.active).toBe(true);
    expect(spans(SPAN_NAMES.cacheGet).map((s) => [parentOf(s), s.attributes[A.cacheStatus]])).toEqual([[parent, 'hit']]);
  });

  it('dispose() stops every span', async () => {
    const breaker = new VixCircuitBreaker({ clock: new MemoryPanicClock(), syncIntervalMs: 0 });
    const tracing = traced({ breaker, tracerProvider: provider });
    tracing.dispose();
    await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic' });
    expect(tracing.active).toBe(false);
    expect(spans()).toHaveLength(0);
  });
});

describe('options', () => {
  it('are checked at once, naming the field', () => {
    expect(() => instrumentOpenTelemetry({})).toThrow(InvalidConfigError);
    expect(() => instrumentOpenTelemetry({})).toThrow('instrumentOpenTelemetry.breaker: needs a breaker, a cache or both to trace');
    expect(() => instrumentOpenTelemetry({ breaker: {} as never })).toThrow('instrumentOpenTelemetry.breaker: must be a VixCircuitBreaker');
    expect(() => instrumentOpenTelemetry({ cache: { onCacheEvent: () => undefined } as never })).toThrow('instrumentOpenTelemetry.cache: must be an AdaptiveCache');
    expect(() => instrumentOpenTelemetry({ breaker: new VixCircuitBreaker({ clock: null }), tracerProvider: {} as never })).toThrow('instrumentOpenTelemetry.tracerProvider');
    expect(() => instrumentOpenTelemetry({ breaker: new VixCircuitBreaker({ clock: null }), tracer: provider } as never)).toThrow('unknown key "tracer"');
  });
});
