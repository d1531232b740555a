import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AdaptiveCache,
  InvalidConfigError,
  MemoryCacheStore,
  MemoryPanicClock,
  RedisCacheStore,
  RedisPanicClock,
  VixCircuitBreaker,
  type AdaptiveCacheOptions,
  type CacheEvent,
  type TtlDecision,
  type TtlSource,
} from '../../src/index.js';
import { L1Cache } from '../../src/cache/l1-cache.js';
import { commandCalls, diffCalls } from '../support/commandstats.js';
import { RedisServer } from '../support/redis-server.js';

const CALM = { baseTtl: 60, vixStatus: 'calm', match: { league: 'Ligue 1' } } as const;

/** A decision source whose TTL the test sets, answering without any I/O (like a breaker inside its sync window). */
function handTtl(initialTtl: number): TtlSource & { ttl: number } {
  const source = {
    ttl: initialTtl,
    decision(): TtlDecision {
      return { ttl: source.ttl, mode: 'NORMAL', tier: 0, importance: 'medium_stakes', panicDurationMin: null, nextTierInMin: null, failSafe: false };
    },
    peekTtl: () => source.decision(),
    getTtl: async () => source.decision(),
  };
  return source as unknown as TtlSource & { ttl: number };
}

describe('the in-process tier (l1) on a real redis-server', () => {
  let server: RedisServer;
  let redis: Redis;
  const caches: AdaptiveCache[] = [];

  beforeAll(async () => {
    server = await RedisServer.start();
    redis = server.client();
  });
  afterAll(async () => {
    await Promise.all(caches.map((c) => c.close()));
    await server.stop();
  });
  beforeEach(async () => {
    await redis.flushall();
  });

  async function make(options: Partial<AdaptiveCacheOptions> = {}, events: CacheEvent[] = []) {
    const cache = new AdaptiveCache({
      breaker: handTtl(60),
      store: new RedisCacheStore(server.client()),
      timeoutMs: 2000,
      l1: { max: 100 },
      hooks: { onCacheEvent: (e) => events.push(e) },
      ...options,
    });
    caches.push(cache);
    expect(await cache.ready()).toBe(true);
    return cache;
  }

  it('a hit on a fresh copy makes zero Redis commands, with a real breaker inside its sync window', async () => {
    const breaker = new VixCircuitBreaker({ clock: new RedisPanicClock(redis, { timeoutMs: 2000 }), timeoutMs: 2000, syncIntervalMs: 60_000 });
    const cache = await make({ breaker });
    await cache.getOrLoad('odds:psg-om', async () => ({ home: 1.85 }), CALM);
    expect((await cache.getOrLoadWithMeta('odds:psg-om', async () => null, CALM)).l1).toBe(true);
    const before = await commandCalls(redis);
    for (let i = 0; i < 1000; i += 1) expect(await cache.getOrLoad('odds:psg-om', async () => null, CALM)).toEqual({ home: 1.85 });
    const delta = diffCalls(before, await commandCalls(redis));
    delete delta.info; // the two INFO calls of the measurement itself
    expect(delta).toEqual({});
    expect(cache.stats().l1Hits).toBe(1001);
  });

  it('a copy is judged by the current decision: served while younger than the TTL, never after, then read again from Redis', async () => {
    const breaker = handTtl(60);
    const cache = await make({ breaker });
    await cache.getOrLoad('k', async () => 'v1', CALM);
    const hit = await cache.getOrLoadWithMeta('k', async () => 'unused', CALM);
    expect(hit).toMatchObject({ status: 'hit', l1: true, value: 'v1' });
    breaker.ttl = 0; // a panic: TTL 0 — the copy is not served (and dropped), the loader runs, nothing is stored at TTL 0
    const miss = await cache.getOrLoadWithMeta('k', async () => 'v2', CALM);
    expect(miss).toMatchObject({ status: 'miss', l1: false, value: 'v2' });
    expect(cache.l1Size).toBe(0);
    breaker.ttl = 30; // a later tier: the Redis entry (v1, younger than 30 s) serves again, and is copied
    expect(await cache.getOrLoadWithMeta('k', async () => 'unused', CALM)).toMatchObject({ status: 'hit', l1: false, value: 'v1' });
    expect(await cache.getOrLoadWithMeta('k', async () => 'unused', CALM)).toMatchObject({ status: 'hit', l1: true, value: 'v1' });
    breaker.ttl = 0.05; // 50 ms: once the entry is older, neither the copy nor Redis serves it
    await new Promise((r) => setTimeout(r, 60));
    const after = await cache.getOrLoadWithMeta('k', async () => 'v3', CALM);
    expect(after).toMatchObject({ status: 'miss', value: 'v3' });
  });

  it('without a hook (the hot path builds no event) copies are counted and judged alike', async () => {
    const breaker = handTtl(60);
    const cache = new AdaptiveCache({ breaker, store: new RedisCacheStore(server.client()), timeoutMs: 2000, l1: { max: 10 } });
    caches.push(cache);
    expect(await cache.ready()).toBe(true);
    await cache.getOrLoad('k', async () => 'v1', CALM);
    for (let i = 0; i < 10; i += 1) expect(await cache.getOrLoad('k', async () => 'unused', CALM)).toBe('v1');
    expect(cache.stats()).toMatchObject({ hits: 10, l1Hits: 10, loads: 1 });
    breaker.ttl = 0;
    expect(await cache.getOrLoad('k', async () => 'v2', CALM)).toBe('v2');
    expect(cache.stats()).toMatchObject({ hits: 10, l1Hits: 10, loads: 2 });
  });

  it('the age of a copy is an upper bound: never below the age Redis gives the same entry', async () => {
    const cache = await make();
    const redisNow = async () => {
      const [seconds, micros] = await redis.time();
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    };
    const loadStarted = performance.now();
    await cache.getOrLoad('k', async () => 'v', CALM);
    const loadMs = performance.now() - loadStarted; // the copy's age may be overstated by at most its fill's round trip
    await new Promise((r) => setTimeout(r, 30));
    const before = await redisNow();
    const copy = await cache.getOrLoadWithMeta('k', async () => 'x', CALM);
    const after = await redisNow();
    expect(copy.l1).toBe(true);
    expect(copy.ageMs! + 1).toBeGreaterThanOrEqual(before - copy.writtenAtMs!); // +1: whole-ms stamps
    expect(copy.ageMs!).toBeLessThanOrEqual(after - copy.writtenAtMs! + loadMs + 1);
  });

  it('until the bus is subscribed, and while it is down, copies are bypassed; after a reconnect they were flushed', async () => {
    const events: CacheEvent[] = [];
    const cache = await make({ bus: { heartbeatMs: 50, timeoutMs: 500 } }, events);
    await cache.getOrLoad('k', async () => 'v', CALM);
    expect(cache.l1Size).toBe(1);
    // Kill the cache's subscriber connection (the one in pub/sub mode) from the server side.
    await redis.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    const deadline = Date.now() + 5000;
    while (cache.l1Active && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(events.some((e) => e.type === 'bus' && e.state === 'down')).toBe(true);
    expect(cache.l1Size).toBe(0); // flushed: an invalidation could be missed
    expect(cache.stats().busDowns).toBeGreaterThanOrEqual(1);
    expect(await cache.ready(10_000)).toBe(true); // it resubscribes by itself
    const back = await cache.getOrLoadWithMeta('k', async () => 'unused', CALM);
    expect(back).toMatchObject({ status: 'hit', l1: false }); // from Redis, then kept again
    expect((await cache.getOrLoadWithMeta('k', async () => 'unused', CALM)).l1).toBe(true);
  });

  it('a paused Redis: the heartbeat marks the bus down and no copy is served blindly', async () => {
    const cache = await make({ bus: { heartbeatMs: 20, timeoutMs: 100 }, timeoutMs: 50 });
    await cache.getOrLoad('k', async () => 'v', CALM);
    server.pause();
    try {
      const deadline = Date.now() + 5000;
      while (cache.l1Active && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(cache.l1Active).toBe(false);
      const during = await cache.getOrLoadWithMeta('k', async () => 'loaded', CALM);
      expect(during).toMatchObject({ l1: false, value: 'loaded' }); // the cache failed open to the loader
    } finally {
      server.resume();
    }
    expect(await cache.ready(10_000)).toBe(true);
  });

  it('a hostile or malformed message on the channel is ignored and counted: no crash, no flush', async () => {
    const cache = await make();
    await cache.getOrLoad('k', async () => 'v', CALM);
    for (const garbage of ['', 'not json', '{"v":2,"src":"x","id":"y","keys":["k"],"tags":[]}', '{"v":1,"src":"x","id":"y","keys":"k","tags":[]}', '{"v":1,"src":"x","id":"y","keys":["a\\nb"],"tags":[]}', '{"v":1,"src":"x","id":"y","keys":[],"tags":["{x}"]}', 'x'.repeat(70_000), '[]', 'null']) {
      await redis.publish('vix-ttl:cache.bus', garbage);
    }
    await redis.ping();
    await new Promise((r) => setTimeout(r, 50));
    expect(cache.stats().busRejected).toBe(9);
    expect((await cache.getOrLoadWithMeta('k', async () => 'x', CALM)).l1).toBe(true);
  });

  it('past bus.maxMessagesPerSecond the messages are ignored, and copies flushed and bypassed instead (one might have been an invalidation)', async () => {
    const cache = await make({ bus: { maxMessagesPerSecond: 5 } });
    await cache.getOrLoad('k', async () => 'v', CALM);
    for (let i = 0; i < 20; i += 1) await redis.publish('vix-ttl:cache.bus', JSON.stringify({ v: 1, src: 'other', id: `i${i}`, keys: ['unrelated'], tags: [] }));
    await redis.ping();
    await new Promise((r) => setTimeout(r, 50));
    expect(cache.stats().busOverflows).toBeGreaterThanOrEqual(15); // 16 when the message of its own write counts in the same second
    expect(cache.l1Size).toBe(0);
    expect((await cache.getOrLoadWithMeta('k', async () => 'x', CALM)).l1).toBe(false);
  });

  it('a read sent before an invalidation arrived cannot fill a copy afterwards (replies and messages travel apart)', () => {
    const l1 = new L1Cache(10);
    const entry = (filledAt: number) => ({ value: 1, writtenAtMs: 0, ageAtFillMs: 0, filledAt, tags: ['market:m'] });
    l1.invalidateKey('k', 100);
    expect(l1.fill('k', entry(99))).toBe(false);
    expect(l1.fill('k', entry(100))).toBe(false);
    expect(l1.fill('k', entry(101))).toBe(true);
    l1.invalidateTag('market:m', 200);
    expect(l1.get('k')).toBeUndefined();
    expect(l1.fill('k', entry(150))).toBe(false);
    expect(l1.fill('k', entry(201))).toBe(true);
    l1.flush(300);
    expect(l1.size).toBe(0);
    expect(l1.fill('other', { ...entry(250), tags: [] })).toBe(false);
  });

  it('bounded: at most l1.max copies, and the tag index follows evictions', async () => {
    const cache = await make({ l1: { max: 10 } });
    for (let i = 0; i < 50; i += 1) await cache.getOrLoad(`k${i}`, async () => i, { ...CALM, tags: [`t${i % 3}`] });
    expect(cache.l1Size).toBe(10);
    expect(await cache.invalidateTags(['t0'])).toBe(17);
    expect(cache.l1Size).toBeLessThan(10);
  });

  it('refresh ahead is shared across processes: two caches (two connections) past the fraction reload once', async () => {
    const breaker = handTtl(60); // refresh from 0.6 s of age on; fresh until 60 s: room for any stall on a loaded machine
    const a = await make({ breaker, refreshAhead: 0.01, coalesce: { crossProcess: true } });
    const b = await make({ breaker, refreshAhead: 0.01, coalesce: { crossProcess: true } });
    await a.getOrLoad('k', async () => 'v1', CALM);
    await b.getOrLoad('k', async () => 'unused', CALM); // b has its copy too
    await new Promise((r) => setTimeout(r, 700));
    let calls = 0;
    const loader = async () => {
      calls += 1;
      await new Promise((r) => setTimeout(r, 100));
      return 'v2';
    };
    expect(await Promise.all([a.getOrLoad('k', loader, CALM), b.getOrLoad('k', loader, CALM)])).toEqual(['v1', 'v1']);
    const deadline = Date.now() + 5000;
    while (a.stats().refreshes + b.stats().refreshes < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(calls).toBe(1);
    // b's own refresh may have read the store just before a's reload landed: its next hits refresh again and find v2.
    await expect.poll(() => b.getOrLoad('k', loader, CALM), { timeout: 10_000, interval: 50 }).toBe('v2');
    await expect.poll(() => a.getOrLoad('k', loader, CALM), { timeout: 10_000, interval: 50 }).toBe('v2');
    expect(calls).toBe(1);
  });

  it('needs a shared store with pub/sub: on a memory store l1 is refused at construction', () => {
    const breaker = new VixCircuitBreaker({ clock: new MemoryPanicClock() });
    expect(() => new AdaptiveCache({ breaker, store: new MemoryCacheStore(), l1: { max: 10 } })).toThrow(InvalidConfigError);
    expect(() => new AdaptiveCache({ breaker, store: new MemoryCacheStore(), invalidateOn: { marketChanges: true } })).toThrow(/invalidateOn\.marketChanges/);
  });
});

describe('the cross-process lock outlives the load it protects', () => {
  const breaker = new VixCircuitBreaker({ clock: new MemoryPanicClock() });
  it('lockTtlMs defaults to loadTimeout.hard + 1 s, and a value below hard is refused naming the field', async () => {
    const server = await RedisServer.start();
    try {
      const redis = server.client();
      const cache = new AdaptiveCache({ breaker, store: new RedisCacheStore(redis), coalesce: { crossProcess: true }, loadTimeout: { hard: 20_000 }, timeoutMs: 2000 });
      let pttl = -2;
      await cache.getOrLoad('k', async () => {
        pttl = await redis.pttl('vix-ttl:cache.lock:k');
        return 1;
      }, CALM);
      expect(pttl).toBeGreaterThan(20_000);
      expect(pttl).toBeLessThanOrEqual(21_000);
    } finally {
      await server.stop();
    }
    expect(() => new AdaptiveCache({ breaker, store: new MemoryCacheStore(), coalesce: { lockTtlMs: 5000 }, loadTimeout: { hard: 10_000 } })).toThrow(/coalesce\.lockTtlMs/);
  });
});
