import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { AdaptiveCache, InvalidInputError, LoaderTimeoutError, MarketChangePublisher, MemoryCacheStore, MemoryPanicClock, RedisCacheStore, VixCircuitBreaker } from '../../src/index.js';
import { cacheMetricsHooks } from '../../src/server/index.js';
import { RedisServer } from '../support/redis-server.js';

describe('cacheMetricsHooks: prom-client counters on a given registry', () => {
  it('counts hits, misses by reason, loads, stale served and coalesced waits', async () => {
    const registry = new Registry();
    let now = 1_800_000_000_000;
    const time = () => now;
    const breaker = new VixCircuitBreaker({ clock: new MemoryPanicClock({ now: time }), syncIntervalMs: 0, now: time });
    const cache = new AdaptiveCache({ breaker, store: new MemoryCacheStore({ now: time }), staleIfErrorSeconds: 30, hooks: cacheMetricsHooks({ registry, cache: 'odds' }) });
    const calm = { baseTtl: 60, vixStatus: 'calm' } as const;
    const panic = { baseTtl: 60, vixStatus: 'panic' } as const;
    await cache.getOrLoad('k', async () => 1, calm);
    await cache.getOrLoad('k', async () => 2, calm);
    now += 1000;
    await cache.getOrLoad('k', async () => Promise.reject(new Error('down')), panic);
    await Promise.all([1, 2, 3].map(() => cache.getOrLoad('j', async () => 3, panic)));

    const text = await registry.metrics();
    const value = (labels: string) => Number(new RegExp(`vix_ttl_cache_events_total\\{${labels}\\} (\\d+)`).exec(text)?.[1] ?? 'NaN');
    expect(value('cache="odds",type="hit",detail="store"')).toBe(1); // detail: l1 or store
    expect(value('cache="odds",type="miss",detail="absent"')).toBe(4);
    expect(value('cache="odds",type="miss",detail="expired"')).toBe(1);
    expect(value('cache="odds",type="load",detail="ok"')).toBe(2);
    expect(value('cache="odds",type="load",detail="error"')).toBe(1);
    expect(value('cache="odds",type="stale",detail=""')).toBe(1);
    expect(value('cache="odds",type="coalesced",detail="process"')).toBe(2);
    expect(text).toContain('vix_ttl_cache_load_duration_seconds_count{cache="odds",outcome="ok"} 2');
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 5, loads: 3, loadErrors: 1, staleServed: 1, coalescedWaits: 2 });
  });

  it('counts a load that timed out (and its late settlement), and observes it at its bound in the load histogram', async () => {
    const registry = new Registry();
    const breaker = new VixCircuitBreaker({ clock: new MemoryPanicClock(), syncIntervalMs: 0 });
    const cache = new AdaptiveCache({ breaker, store: new MemoryCacheStore(), loadTimeout: { hard: 50 }, hooks: cacheMetricsHooks({ registry, cache: 'odds' }) });
    let answer: (value: number) => void = () => {};
    const hung = () => new Promise<number>((resolve) => (answer = resolve));
    await expect(cache.getOrLoad('k', hung, { baseTtl: 60, vixStatus: 'calm' })).rejects.toBeInstanceOf(LoaderTimeoutError);
    answer(1); // the abandoned load settles late
    while (cache.stats().lateLoads === 0) await new Promise((r) => setTimeout(r, 5));

    const text = await registry.metrics();
    expect(text).toContain('vix_ttl_cache_events_total{cache="odds",type="load_timeout",detail=""} 1');
    expect(text).toContain('vix_ttl_cache_events_total{cache="odds",type="late_load",detail="ok"} 1');
    expect(text).toContain('vix_ttl_cache_load_duration_seconds_count{cache="odds",outcome="timeout"} 1');
    expect(text).toContain('vix_ttl_cache_load_duration_seconds_sum{cache="odds",outcome="timeout"} 0.05');
    expect(cache.stats()).toMatchObject({ loads: 1, loadTimeouts: 1, lateLoads: 1, loadErrors: 0 });
  });

  it('shows every market_overflow reason at 0 before the first overflow, and counts a real one (the publisher overflowed: every market changed) by its reason', async () => {
    const redis = await RedisServer.start();
    const registry = new Registry();
    const cache = new AdaptiveCache({ breaker: new VixCircuitBreaker({ clock: null }), store: new RedisCacheStore(redis.client()), invalidateOn: { marketChanges: true }, timeoutMs: 5000, hooks: cacheMetricsHooks({ registry, cache: 'odds' }) });
    const publisher = new MarketChangePublisher(redis.client(), { windowMs: 60_000, maxPending: 2 });
    try {
      expect(await cache.ready()).toBe(true);
      const before = await registry.metrics();
      // An alert on increase() sees the first overflow only if the series was there at 0 before it.
      for (const reason of ['unsettled_full', 'pending_full', 'market_flood', 'retries_exhausted', 'publisher_overflow']) {
        expect(before).toContain(`vix_ttl_cache_events_total{cache="odds",type="market_overflow",detail="${reason}"} 0`);
      }
      for (const market of ['a', 'b', 'c']) publisher.changed(market); // c finds the pending set full
      await publisher.flush();
      const deadline = Date.now() + 10_000; // the bus's delivery is not the subject: generous
      while (cache.stats().marketOverflows === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      const after = await registry.metrics();
      expect(after).toContain('vix_ttl_cache_events_total{cache="odds",type="market_overflow",detail="publisher_overflow"} 1');
      expect(after).toContain('vix_ttl_cache_events_total{cache="odds",type="market_overflow",detail="market_flood"} 0');
    } finally {
      await publisher.close();
      await cache.close();
      await redis.stop();
    }
  });

  it('reuses its metrics when called twice on one registry, and rejects what is not a registry', () => {
    const registry = new Registry();
    cacheMetricsHooks({ registry });
    expect(() => cacheMetricsHooks({ registry })).not.toThrow();
    expect(() => cacheMetricsHooks({ registry: {} as Registry })).toThrow(InvalidInputError);
  });
});
