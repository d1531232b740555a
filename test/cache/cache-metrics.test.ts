import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { AdaptiveCache, InvalidInputError, LoaderTimeoutError, MemoryCacheStore, MemoryPanicClock, VixCircuitBreaker } from '../../src/index.js';
import { cacheMetricsHooks } from '../../src/server/index.js';

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

  it('reuses its metrics when called twice on one registry, and rejects what is not a registry', () => {
    const registry = new Registry();
    cacheMetricsHooks({ registry });
    expect(() => cacheMetricsHooks({ registry })).not.toThrow();
    expect(() => cacheMetricsHooks({ registry: {} as Registry })).toThrow(InvalidInputError);
  });
});
