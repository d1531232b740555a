import { afterAll, describe, expect, it } from 'vitest';
import { AdaptiveCache, RedisCacheStore, RedisPanicClock, VixCircuitBreaker, type CacheEvent } from '../../src/index.js';
import { useRedisServer } from '../support/use-redis-server.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const CALM = { baseTtl: 60, vixStatus: 'calm' } as const;
/** Keeps Redis busy (a script running) for `ms`; with --busy-reply-threshold 100 every other client gets BUSY meanwhile. */
const busyFor = (ms: number) =>
  `local t=redis.call('TIME') local s=tonumber(t[1])*1000000+tonumber(t[2]) while true do local n=redis.call('TIME') if tonumber(n[1])*1000000+tonumber(n[2])-s > ${ms * 1000} then break end end return 1`;

describe('market changes survive store failures and floods (a flood costs loads, never a stale value)', () => {
  const redis = useRedisServer({ args: ['--busy-reply-threshold', '100'] });
  const caches: AdaptiveCache[] = [];

  // Registered after the server's hooks: Vitest runs after-hooks in reverse, so the caches close first.
  afterAll(async () => {
    await Promise.all(caches.map((c) => c.close()));
  });

  async function make(events: CacheEvent[] = [], l1 = false) {
    const cache = new AdaptiveCache({
      breaker: new VixCircuitBreaker({ clock: null }),
      store: new RedisCacheStore(redis.server.client()),
      invalidateOn: { marketChanges: true },
      timeoutMs: 200,
      ...(l1 ? { l1: { max: 100 } } : {}),
      hooks: { onCacheEvent: (e) => events.push(e) },
    });
    caches.push(cache);
    expect(await cache.ready()).toBe(true);
    return cache;
  }

  it('a store side that fails (Redis BUSY 1.5 s) keeps the tag unsettled and is retried until done: the old odds are never served again', async () => {
    await redis.client.flushall();
    const events: CacheEvent[] = [];
    const cache = await make(events);
    const input = { ...CALM, tags: ['market:M1'] };
    let price = 1.85;
    const load = () => ({ price });
    expect((await cache.getOrLoadWithMeta('odds:M1', load, input)).status).toBe('miss');
    price = 2.4;
    await redis.client.pipeline().publish('vix-ttl:market-changes', JSON.stringify({ v: 1, id: 'chg1', markets: ['M1'] })).eval(busyFor(1500), 0).exec();
    const seen: number[] = [];
    for (let i = 0; i < 12; i += 1) {
      await sleep(250); // through the BUSY second and past the 2 s unsettled window
      seen.push(((await cache.getOrLoadWithMeta('odds:M1', load, input)).value as { price: number }).price);
    }
    expect(seen.every((p) => p === 2.4)).toBe(true);
    expect(events.some((e) => e.type === 'store_error' && e.operation === 'invalidate')).toBe(true); // the first attempt did fail
    expect(await redis.client.get('vix-ttl:cache.tag:{market:M1}:inv')).toMatch(/:chg1$/); // a retry did the store side
    expect(events.some((e) => e.type === 'market_overflow')).toBe(false); // one by one, not by voiding everything
  });

  it('a flood on the invalidation bus does not crowd out a market change: its store side is done and the old odds never come back into l1', async () => {
    await redis.client.flushall();
    const cache = await make([], true);
    const input = { ...CALM, tags: ['market:M'] };
    let price = 1.85;
    await cache.getOrLoad('odds:M', () => ({ price }), input);
    price = 2.4;
    const noise = JSON.stringify({ v: 1, src: 'attacker', id: 'n', keys: ['unrelated'], tags: [] });
    const pipeline = redis.client.pipeline();
    for (let i = 0; i < 15_000; i += 1) pipeline.publish('vix-ttl:cache.bus', noise);
    pipeline.publish('vix-ttl:market-changes', JSON.stringify({ v: 1, id: 'chg', markets: ['M'] }));
    for (let i = 0; i < 15_000; i += 1) pipeline.publish('vix-ttl:cache.bus', noise);
    await pipeline.exec();
    await sleep(2500);
    for (let i = 0; i < 3; i += 1) {
      expect((await cache.getOrLoad('odds:M', () => ({ price }), input)).price).toBe(2.4);
      await sleep(400);
    }
    expect(cache.stats().busOverflows).toBeGreaterThan(0); // the flood was seen and bounded
  });

  it('past the market tables’ bound every market-tagged entry written before is voided (counted), never served stale; other entries keep hitting', async () => {
    await redis.client.flushall();
    const events: CacheEvent[] = [];
    const cache = await make(events);
    let version = 1;
    await cache.getOrLoad('odds:probe', () => ({ version }), { ...CALM, tags: ['market:probe'] });
    await cache.getOrLoad('odds:quiet', () => ({ version }), { ...CALM, tags: ['market:quiet'] });
    await cache.getOrLoad('page:home', () => ({ version }), CALM);
    version = 2;
    // 15,000 distinct markets in one burst (a tick flood), the probe last: more than the 10,000 tracked one by one.
    const pipeline = redis.client.pipeline();
    for (let m = 0; m < 15; m += 1) {
      const markets = Array.from({ length: 1000 }, (_, i) => (m === 14 && i === 999 ? 'probe' : `flood-${m}-${i}`));
      pipeline.publish('vix-ttl:market-changes', JSON.stringify({ v: 1, id: `flood${m}`, markets }));
    }
    await pipeline.exec();
    await sleep(2500); // past the 2 s unsettled window: the old code served the probe's pre-change entry from Redis again
    expect((await cache.getOrLoadWithMeta('odds:probe', () => ({ version }), { ...CALM, tags: ['market:probe'] })).value).toEqual({ version: 2 });
    expect((await cache.getOrLoadWithMeta('odds:quiet', () => ({ version }), { ...CALM, tags: ['market:quiet'] })).value).toEqual({ version: 2 }); // the cost: a load
    const page = await cache.getOrLoadWithMeta('page:home', () => ({ version }), CALM);
    expect(page).toMatchObject({ status: 'hit', value: { version: 1 } });
    expect(cache.stats().marketOverflows).toBeGreaterThan(0);
    expect(events.some((e) => e.type === 'market_overflow' && (e.reason === 'pending_full' || e.reason === 'unsettled_full'))).toBe(true);
    // A value loaded after the overflow is stored and served again.
    expect((await cache.getOrLoadWithMeta('odds:quiet', () => ({ version: 3 }), { ...CALM, tags: ['market:quiet'] })).status).toBe('hit');
  });
});

describe('invalidateTags touches only the cache’s own keys', () => {
  const db = useRedisServer();

  it('a tag index member outside the namespace (the panic start, another app’s key, another index) is left alone and counted as corrupt', async () => {
    const redis = db.server.client();
    const admin = db.server.client();
    const breaker = new VixCircuitBreaker({ clock: new RedisPanicClock(redis, { timeoutMs: 1000 }), timeoutMs: 1000 });
    const events: CacheEvent[] = [];
    // The cache's own breaker has no clock: a calm read through a clock would end the panic this test checks.
    const cache = new AdaptiveCache({ breaker: new VixCircuitBreaker({ clock: null }), store: new RedisCacheStore(redis), timeoutMs: 500, hooks: { onCacheEvent: (e) => events.push(e) } });
    const start = String(Date.now() / 1000 - 4 * 3600);
    await admin.set('brain:panic_start_ts', start, 'EX', 86_400);
    await admin.set('other-app:cache:user:42', 'precious');
    await admin.zadd('other-app:cache.tag:{x}', Date.now() + 1e9, 'keep');
    await cache.getOrLoad('odds:a', () => 1, { baseTtl: 60, vixStatus: 'calm', tags: ['league:ligue-1'] });
    const far = Date.now() + 1e9;
    await admin.zadd('vix-ttl:cache.tag:{league:ligue-1}', far, 'brain:panic_start_ts', far, 'other-app:cache:user:42', far, 'other-app:cache.tag:{x}', far, 'vix-ttl:cache.lock:odds:a');
    expect(await cache.invalidateTags(['league:ligue-1'])).toBe(1); // only odds:a
    expect(await admin.get('brain:panic_start_ts')).toBe(start);
    expect(await admin.get('other-app:cache:user:42')).toBe('precious');
    expect(await admin.type('other-app:cache.tag:{x}')).toBe('zset');
    expect(await admin.exists('vix-ttl:cache.lock:odds:a')).toBe(0); // never created either: not overwritten with a tombstone
    expect(await admin.get('vix-ttl:cache:odds:a')).toMatch(/^\d+!$/);
    expect(events.filter((e) => e.type === 'corrupt')).toHaveLength(4);
    const decision = await breaker.getTtl({ baseTtl: 60, vixStatus: 'panic', match: { importance: 'high_stakes' } });
    expect(decision).toMatchObject({ tier: 3, failSafe: false }); // the 4-hour panic goes on for every worker
    await cache.close();
  });
});
