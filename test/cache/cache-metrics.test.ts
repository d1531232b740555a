import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { AdaptiveCache, cacheMetricsHooks, InvalidInputError, MemoryCacheStore, MemoryPanicClock, VixCircuitBreaker } from '../../src/index.js';

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
    expect(value('cache="odds",type="hit",detail=""')).toBe(1);
    expect(value('cache="odds",type="miss",detail="absent"')).toBe(4);
    expect(value('cache="odds",type="miss",detail="expired"')).toBe(1);
    expect(value('cache="odds",type="load",detail="ok"')).toBe(2);
    expect(value('cache="odds",type="load",detail="error"')).toBe(1);
    expect(value('cache="odds",type="stale",detail=""')).toBe(1);
    expect(value('cache="odds",type="coalesced",detail="process"')).toBe(2);
    expect(text).toContain('vix_ttl_cache_load_duration_seconds_count{cache="odds",outcome="ok"} 2');
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 5, loads: 3, loadErrors: 1, staleServed: 1, coalescedWaits: 2 });
  });

  it('reuses its metrics when called twice on one registry, and rejects what is not a registry', () => {
    const registry = new Registry();
    cacheMetricsHooks({ registry });
    expect(() => cacheMetricsHooks({ registry })).not.toThrow();
    expect(() => cacheMetricsHooks({ registry: {} as Registry })).toThrow(InvalidInputError);
  });
});
