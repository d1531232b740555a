import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AdaptiveCache,
  AdaptivePanicQuota,
  cacheControl,
  encodeMarketChange,
  MarketChangePublisher,
  MemoryCacheStore,
  MemoryPanicClock,
  RedisPanicClock,
  ShadowLedger,
  shadowDecision,
  simulateTicks,
  StoreError,
  TickFileError,
  VixCircuitBreaker,
  VixEngine,
  VixPublisher,
  VixReplay,
  VixTtlError,
  type RedisClient,
} from '../../src/index.js';
import * as otelApi from '@opentelemetry/api';
import { cacheMetricsHooks, createServer, DemoFeed, LocalVix, openApiDocument, RemoteVix, ScrapeHistogram, ServiceMetrics, VixMetrics } from '../../src/server/index.js';
import { instrumentOpenTelemetry, OpenTelemetryTracing } from '../../src/otel/index.js';
import { optionalInputProperties } from '../support/public-input-types.js';

// Every optional option takes an explicit `undefined`: the types say so (first), and at
// run time, given every top-level optional key as undefined, each constructor and function
// behaves as if the keys were absent. One TypeScript program of src/ serves both halves.

const properties = optionalInputProperties();

describe('the public types under exactOptionalPropertyTypes', () => {
  it('every optional property a caller gives (options, inputs, hooks) accepts an explicit undefined', () => {
    const rejecting = properties.filter((p) => !p.acceptsUndefined);
    expect(rejecting.map((p) => `${p.path} (${p.at})`)).toEqual([]);
  });
});
/** The top-level optional keys of one parameter, e.g. `new VixCircuitBreaker(options)`, all set to undefined. */
function allUndefined(parameter: string): Record<string, undefined> {
  const names = properties.filter((p) => p.topLevelOf.includes(parameter)).map((p) => p.name);
  expect(names.length, `optional keys of ${parameter}`).toBeGreaterThan(0);
  return Object.fromEntries(names.map((name) => [name, undefined]));
}

/** A Redis client by shape that is never called: construction only. */
const idleClient: RedisClient = {
  evalsha: async () => null,
  eval: async () => null,
  del: async () => 0,
  set: async () => null,
  config: async () => [],
};

const closers: Array<() => Promise<unknown> | unknown> = [];
afterAll(async () => {
  for (const close of closers) await close();
});

/** One breaker and one store for both runs of AdaptiveCache: two instances never compare equal (their events are functions). */
const cacheBreaker = new VixCircuitBreaker({ clock: null });
const cacheStore = new MemoryCacheStore();

/** Per parameter: what it gives with every optional key absent, and with every one undefined; the two must be equal. */
const CASES: Record<string, (options: Record<string, undefined>) => unknown> = {
  'new VixCircuitBreaker(options)': async (o) => {
    const breaker = new VixCircuitBreaker({ clock: new MemoryPanicClock({ now: () => 0 }), ...o });
    closers.push(() => breaker.close());
    // With `now` absent (Date.now), the duration also counts the ms between the clock's answer and the decision:
    // rounded, so that a loaded machine's millisecond is not a difference between the two runs.
    const { panicDurationMin, nextTierInMin, ...decision } = await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', scope: 'a' });
    const round = (minutes: number | null) => (minutes === null ? null : Math.round(minutes * 100) / 100);
    return [{ ...decision, panicDurationMin: round(panicDurationMin), nextTierInMin: round(nextTierInMin) }, breaker.panicScopes];
  },
  'new AdaptiveCache(options)': (o) => {
    const { breaker: _breaker, store: _store, ...options } = new AdaptiveCache({ breaker: cacheBreaker, store: cacheStore, ...o }).options;
    return options;
  },
  'encodeMarketChange(message)': (o) => encodeMarketChange({ id: 'm1', markets: ['psg-om:1x2'], ...o }),
  'cacheControl(options)': (o) => [cacheControl({ ttl: 30 }, o), cacheControl({ ttl: 0 }, o)],
  'vixTtlCacheControl(options)': async (o) => {
    const { default: Fastify } = await import('fastify');
    const { vixTtlCacheControl } = await import('../../src/index.js');
    const app = Fastify();
    await app.register(vixTtlCacheControl, o);
    app.get('/', (_request, reply) => reply.cacheFor({ ttl: 5 }).send('ok'));
    const answer = await app.inject('/');
    await app.close();
    return answer.headers['cache-control'];
  },
  'cacheMetricsHooks(options)': async (o) => {
    const registry = new Registry();
    cacheMetricsHooks({ registry, ...o });
    return (await registry.getMetricsAsJSON()).map((m) => m.name);
  },
  'new MemoryCacheStore(options)': async (o) => {
    const store = new MemoryCacheStore(o);
    await store.write('k', 'v', 5000);
    return (await store.read('k')).entry?.payload;
  },
  'new MemoryPanicClock(options)': async (o) => {
    const clock = new MemoryPanicClock(o);
    const observation = await clock.observe('a', 'panic');
    return [observation.active, observation.created, clock.deadManSwitchSeconds];
  },
  'new RedisPanicClock(options)': (o) => new RedisPanicClock(idleClient, o).options,
  'new AdaptivePanicQuota(policy)': (o) => new AdaptivePanicQuota(o).policy,
  'new VixEngine(options)': (o) => new VixEngine(o).options,
  'new VixPublisher(options)': async (o) => {
    const engine = new VixEngine();
    const publisher = new VixPublisher({ engine, clock: new MemoryPanicClock(), ...o });
    await publisher.close();
    return publisher instanceof VixPublisher;
  },
  'new ShadowLedger(options)': (o) => {
    const ledger = new ShadowLedger(o);
    ledger.record('a', shadowDecision(60, new AdaptivePanicQuota().calculateTtlStrategy(60, 0)));
    return ledger.totals().map(({ servedSeconds: _time, ...total }) => total);
  },
  'shadowDecision(decision)': (o) => shadowDecision(60, { ...new AdaptivePanicQuota().calculateTtlStrategy(60, 45), ...o }),
  'new VixReplay(options)': (o) => {
    const replay = new VixReplay(o);
    for (const record of simulateTicks({ seed: 7, startMs: 0, durationMs: 60_000, scopes: [{ scope: 'a', markets: 2, meanGapMs: 500 }] })) replay.ingest(record.tick);
    return replay.result();
  },
  'simulateTicks(options)': (o) => [...simulateTicks({ seed: 1, startMs: 0, durationMs: 5000, scopes: [{ scope: 'a', markets: 2, meanGapMs: 500 }], ...o })],
  'new VixTtlError(options)': (o) => new VixTtlError('VIX_TTL_INVALID_INPUT', 'message', o).cause,
  'new StoreError(options)': (o) => new StoreError('message', o).cause,
  'new TickFileError(options)': (o) => new TickFileError('message', o).cause,
  'createServer(options)': async (o) => {
    const { app, vix } = await createServer({ clock: new MemoryPanicClock(), ...o });
    const answer = await app.inject({ method: 'POST', url: '/v1/ttl', payload: { baseTtl: 60, vixStatus: 'calm' } });
    await app.close();
    return [answer.statusCode, answer.json(), vix !== null];
  },
  'new DemoFeed(options)': (o) => new DemoFeed({ ticks: { ingest: async () => ({}) } as never, breaker: { getTtl: async () => ({}) } as never, now: () => 0, ...o }).scopes,
  'new RemoteVix(options)': async (o) => {
    const remote = new RemoteVix(o); // channel: the process's own (no IPC here: a batch is refused at once)
    const refused = await remote.ingest([]).catch((error: Error) => error.name);
    await remote.close();
    return [refused, remote.view()];
  },
  'new ServiceMetrics(options)': async (o) => (await new ServiceMetrics(o).registry.getMetricsAsJSON()).map((m) => m.name).sort(),
  'new LocalVix(options)': async (o) => {
    const local = new LocalVix({ clock: null, ...o });
    await local.close();
    return local.view().scopes;
  },
  'new MarketChangePublisher(options)': async (o) => {
    const publisher = new MarketChangePublisher({ ...idleClient, publish: async () => 0, zscan: async () => ['0', []] }, o);
    await publisher.close();
    return publisher.options;
  },
  'openApiDocument(options)': (o) => openApiDocument(o).info,
  'new VixMetrics(options)': async (o) => {
    const registry = new Registry();
    new VixMetrics(registry, () => null, o);
    return (await registry.getMetricsAsJSON()).map((m) => m.name).sort();
  },
  'new ScrapeHistogram(options)': async (o) => {
    const registry = new Registry();
    new ScrapeHistogram({ name: 'x_seconds', help: 'x', buckets: [1, 5], registers: [registry], ...o }).observe(0, 2);
    return registry.metrics();
  },
  // The tracing needs a breaker or a cache: given here after the undefined keys, so an undefined one does not unset it.
  'instrumentOpenTelemetry(options)': (o) => {
    const tracing = instrumentOpenTelemetry({ ...o, breaker: cacheBreaker });
    tracing.dispose();
    return tracing.active;
  },
  'new OpenTelemetryTracing(options)': (o) => {
    const tracing = new OpenTelemetryTracing(otelApi, { ...o, breaker: cacheBreaker });
    tracing.dispose();
    return tracing.active;
  },
};

/** Parameters not run here, and why. */
const NOT_RUN: Record<string, string> = {
  'startService(config)': 'starts a listening service with signal handlers; it hands these options to createServer, run above',
  'startService(options)': 'the same: its one option, logVolume, goes to createServer, run above',
  // The client's one optional key, `isCluster`, is read as `isCluster === true` (a batch is then split by hash
  // slot): undefined and absent are both a single node; the real clients set it (redis-cluster.test.ts).
  'new RedisPanicClock(redis)': 'the client’s isCluster is only ever compared with true',
  'new RedisCacheStore(redis)': 'the client’s isCluster is never read by the cache store',
  'new MarketChangePublisher(redis)': 'the client’s isCluster is never read by the publisher',
};

describe('an optional option given as undefined behaves as absent', () => {
  const parameters = [...new Set(properties.flatMap((p) => p.topLevelOf))].sort();

  it('every public constructor and function with optional options is run here (or said why not)', () => {
    expect(parameters.filter((p) => !(p in CASES) && !(p in NOT_RUN))).toEqual([]);
  }, 120_000);

  for (const parameter of Object.keys(CASES)) {
    it(parameter, async () => {
      const run = CASES[parameter]!;
      const absent = await run({});
      const undefinedKeys = await run(allUndefined(parameter));
      expect(undefinedKeys).toEqual(absent);
    }, 60_000);
  }
});
