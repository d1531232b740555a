import { describe, expect, it } from 'vitest';
import {
  AdaptiveCache,
  LoaderTimeoutError,
  MemoryCacheStore,
  MemoryPanicClock,
  OverloadedError,
  VixCircuitBreaker,
  type AdaptiveCacheOptions,
  type CacheEvent,
} from '../../src/index.js';

const SECOND = 1000;
const calm = (baseTtl = 10, scope?: string) => ({ baseTtl, vixStatus: 'calm' as const, match: { league: 'Ligue 1' }, ...(scope ? { scope } : {}) });
const panic = (baseTtl = 60) => ({ baseTtl, vixStatus: 'panic' as const, match: { league: 'Ligue 1' } });

/** A cache on a memory store and clock that read one hand-moved time source (ages exact, nothing sleeps on them). */
function fixture(options: Partial<AdaptiveCacheOptions> = {}) {
  let now = Date.UTC(2026, 5, 14, 20, 0, 0);
  const time = () => now;
  const breaker = new VixCircuitBreaker({ clock: new MemoryPanicClock({ now: time }), syncIntervalMs: 0, now: time });
  const store = new MemoryCacheStore({ now: time });
  const events: CacheEvent[] = [];
  const cache = new AdaptiveCache({ breaker, store, hooks: { onCacheEvent: (e) => events.push(e) }, ...options });
  return { cache, store, events, advance: (ms: number) => (now += ms) };
}

/** A loader whose calls stay pending until the test settles them. */
function gate<T>() {
  const pending: Array<{ resolve: (v: T) => void; reject: (e: unknown) => void }> = [];
  let running = 0;
  let maxRunning = 0;
  const loader = () =>
    new Promise<T>((resolve, reject) => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      const done = () => (running -= 1);
      pending.push({ resolve: (v) => (done(), resolve(v)), reject: (e) => (done(), reject(e)) });
    });
  return { loader, pending, get calls() { return pending.length; }, get maxRunning() { return maxRunning; } };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('refreshAhead: a hit past the fraction of the TTL is served at once and reloaded once in the background', () => {
  it('below 80 % nothing happens; past it the old value is served and one reload stores the new one', async () => {
    const { cache, advance } = fixture({ refreshAhead: 0.8 });
    await cache.getOrLoad('odds', async () => 'v1', calm(10));
    advance(7.9 * SECOND);
    const g = gate<string>();
    expect(await cache.getOrLoad('odds', g.loader, calm(10))).toBe('v1');
    await tick();
    expect(g.calls).toBe(0);
    advance(0.2 * SECOND); // 8.1 s: past 80 % of 10 s
    const served = await Promise.all(Array.from({ length: 20 }, () => cache.getOrLoadWithMeta('odds', g.loader, calm(10))));
    expect(served.every((r) => r.status === 'hit' && r.value === 'v1')).toBe(true); // nobody waits
    await tick();
    expect(g.calls).toBe(1); // one reload for the herd
    g.pending[0]!.resolve('v2');
    await tick();
    expect(await cache.getOrLoadWithMeta('odds', g.loader, calm(10))).toMatchObject({ status: 'hit', value: 'v2', ageMs: 0 });
    expect(cache.stats()).toMatchObject({ refreshes: 1, refreshErrors: 0 });
  });

  it('a failed reload is counted, never thrown: the caller already has its value, and the entry keeps serving', async () => {
    const { cache, advance, events } = fixture({ refreshAhead: 0.8 });
    await cache.getOrLoad('odds', async () => 'v1', calm(10));
    advance(9 * SECOND);
    expect(await cache.getOrLoad('odds', async () => Promise.reject(new Error('backend down')), calm(10))).toBe('v1');
    await tick();
    expect(cache.stats()).toMatchObject({ refreshes: 1, refreshErrors: 1 });
    expect(events.some((e) => e.type === 'refresh' && e.outcome === 'error')).toBe(true);
    expect(await cache.getOrLoad('odds', async () => 'unused', calm(10))).toBe('v1');
  });

  it('a reload that passes loadTimeout.hard is counted as a timeout', async () => {
    const { cache, advance } = fixture({ refreshAhead: 0.5, loadTimeout: { hard: 30 } });
    await cache.getOrLoad('odds', async () => 'v1', calm(10));
    advance(6 * SECOND);
    await cache.getOrLoad('odds', () => new Promise<string>(() => {}), calm(10));
    await new Promise((r) => setTimeout(r, 80));
    expect(cache.stats()).toMatchObject({ refreshes: 1, refreshErrors: 1, loadTimeouts: 1 });
  });

  it('no reload at TTL 0 (tier 1 serves nothing from the cache), and none when maxConcurrentLoads has no room (counted as skipped)', async () => {
    const { cache, advance } = fixture({ refreshAhead: 0.8, maxConcurrentLoads: 1 });
    await cache.getOrLoad('a', async () => 'a', calm(10));
    const g = gate<string>();
    void cache.getOrLoad('busy', g.loader, calm(10)); // holds the only slot
    await tick();
    advance(9 * SECOND);
    expect(await cache.getOrLoad('a', async () => 'a2', calm(10))).toBe('a');
    expect(cache.stats()).toMatchObject({ refreshSkipped: 1, refreshes: 0 });
    g.pending[0]!.resolve('done');
  });

  it('entries loaded at TTL 0 (tier 1) are kept 5 s, so the first reads of tier 2 find them instead of missing once per key', async () => {
    const { cache, store, advance } = fixture({ refreshAhead: 0.8 });
    await cache.getOrLoad('odds', async () => 'tier 1', panic());
    advance(4_900);
    expect((await store.read('vix-ttl:cache:odds')).entry?.payload).toBe('"tier 1"');
    advance(200);
    expect((await store.read('vix-ttl:cache:odds')).entry).toBeNull();
    const { cache: plain, store: plainStore } = fixture();
    await plain.getOrLoad('odds', async () => 'tier 1', panic());
    expect((await plainStore.read('vix-ttl:cache:odds')).entry).toBeNull(); // without it nothing is written at TTL 0
  });

  it('rejects a fraction outside (0, 1)', () => {
    for (const refreshAhead of [0, 1, 1.5, -0.2]) expect(() => fixture({ refreshAhead })).toThrow(/refreshAhead/);
  });
});

describe('loadTimeout.soft: past it a stale entry is served and the load finishes in the background', () => {
  it('serves the stale entry (within staleIfErrorSeconds) before the loader settles, then stores the loaded value', async () => {
    const { cache, advance, events } = fixture({ staleIfErrorSeconds: 30, loadTimeout: { soft: 40, hard: 5000 } });
    await cache.getOrLoad('odds', async () => 'old', calm(10));
    advance(12 * SECOND); // expired (TTL 10 s), inside the 30 s stale window
    const g = gate<string>();
    const result = await cache.getOrLoadWithMeta('odds', g.loader, calm(10));
    expect(result).toMatchObject({ status: 'stale', stale: true, value: 'old' });
    expect(result.ageMs!).toBeGreaterThanOrEqual(12 * SECOND);
    expect(g.calls).toBe(1); // still loading
    expect(events.some((e) => e.type === 'soft_timeout' && e.timeoutMs === 40)).toBe(true);
    g.pending[0]!.resolve('new');
    await tick();
    expect(await cache.getOrLoadWithMeta('odds', async () => 'unused', calm(10))).toMatchObject({ status: 'hit', value: 'new' });
    expect(cache.stats().softTimeouts).toBe(1);
  });

  it('a caller that joins a load already past soft gets the stale entry at once; new callers share the load still under way', async () => {
    const { cache, advance } = fixture({ staleIfErrorSeconds: 30, loadTimeout: { soft: 30, hard: 5000 } });
    await cache.getOrLoad('odds', async () => 'old', calm(10));
    advance(12 * SECOND);
    const g = gate<string>();
    await cache.getOrLoad('odds', g.loader, calm(10));
    const late = await cache.getOrLoadWithMeta('odds', g.loader, calm(10));
    expect(late).toMatchObject({ status: 'stale', value: 'old' });
    expect(g.calls).toBe(1);
    g.pending[0]!.resolve('new');
  });

  it('without a stale entry the caller waits for the load; past hard it gets LoaderTimeoutError', async () => {
    const { cache } = fixture({ staleIfErrorSeconds: 30, loadTimeout: { soft: 10, hard: 60 } });
    const g = gate<string>();
    const waiting = cache.getOrLoadWithMeta('fresh', g.loader, calm(10));
    await new Promise((r) => setTimeout(r, 30));
    g.pending[0]!.resolve('loaded');
    expect(await waiting).toMatchObject({ status: 'miss', value: 'loaded' });
    await expect(cache.getOrLoad('hung', () => new Promise(() => {}), calm(10))).rejects.toBeInstanceOf(LoaderTimeoutError);
  });
});

describe('maxConcurrentLoads: the backend never sees more loads at once than it was given', () => {
  it('past the bound, a stale entry younger than overload.staleMs stands in (flagged stale), even in tier 1', async () => {
    const { cache, advance, events } = fixture({ maxConcurrentLoads: 2, overload: { staleMs: 5000, waitMs: 0 } });
    for (const k of ['a', 'b', 'c', 'd']) await cache.getOrLoad(k, async () => `${k}0`, panic()); // tier 1: kept 5 s for this
    advance(2 * SECOND);
    const g = gate<string>();
    const results = await Promise.all(['a', 'b', 'c', 'd'].map((k) => Promise.race([cache.getOrLoadWithMeta(k, g.loader, panic()), tick().then(() => null)])));
    expect(g.maxRunning).toBe(2);
    const stale = results.filter((r) => r !== null);
    expect(stale).toHaveLength(2);
    expect(stale.every((r) => r!.status === 'stale' && r!.stale && r!.ageMs! < 5000)).toBe(true);
    expect(events.filter((e) => e.type === 'overload' && e.outcome === 'stale')).toHaveLength(2);
    for (const p of g.pending) p.resolve('new');
  });

  it('an entry older than the bound never stands in: the request waits for a slot, then fails with OverloadedError', async () => {
    const { cache, advance } = fixture({ maxConcurrentLoads: 1, staleIfErrorSeconds: 60, overload: { staleMs: 5000, waitMs: 30 } });
    await cache.getOrLoad('old', async () => 'old', calm(10));
    advance(20 * SECOND); // 20 s old: inside staleIfErrorSeconds, outside the overload bound
    const g = gate<string>();
    void cache.getOrLoad('busy', g.loader, calm(10));
    await tick();
    const error = await cache.getOrLoad('old', async () => 'x', calm(10)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OverloadedError);
    expect((error as OverloadedError).code).toBe('VIX_TTL_OVERLOADED');
    expect((error as OverloadedError).key).toBe('old');
    expect(cache.stats()).toMatchObject({ overloadRejected: 1, overloadStale: 0 });
    g.pending[0]!.resolve('done');
  });

  it('a request waits at most overload.waitMs and loads as soon as a slot frees', async () => {
    const { cache } = fixture({ maxConcurrentLoads: 1, overload: { waitMs: 5000 } });
    const g = gate<string>();
    const first = cache.getOrLoad('a', g.loader, calm(10));
    await tick();
    const second = cache.getOrLoadWithMeta('b', async () => 'b', calm(10));
    await tick();
    g.pending[0]!.resolve('a');
    await first;
    expect(await second).toMatchObject({ status: 'miss', value: 'b' });
    expect(cache.stats().overloadWaited).toBe(1);
  });

  it('callers of a key already loading share that load: coalescing never counts against the bound', async () => {
    const { cache } = fixture({ maxConcurrentLoads: 1, overload: { waitMs: 0 } });
    const g = gate<string>();
    const all = Array.from({ length: 50 }, () => cache.getOrLoad('hot', g.loader, calm(10)));
    await tick();
    g.pending[0]!.resolve('v');
    expect(new Set(await Promise.all(all))).toEqual(new Set(['v']));
    expect(cache.stats().overloadRejected).toBe(0);
  });

  it('maxConcurrentLoadsPerScope bounds each scope on its own', async () => {
    const { cache } = fixture({ maxConcurrentLoadsPerScope: 1, overload: { waitMs: 0 } });
    const g = gate<string>();
    void cache.getOrLoad('l1-a', g.loader, calm(10, 'ligue-1'));
    void cache.getOrLoad('pl-a', g.loader, calm(10, 'premier-league'));
    await tick();
    expect(g.calls).toBe(2);
    await expect(cache.getOrLoad('l1-b', g.loader, calm(10, 'ligue-1'))).rejects.toBeInstanceOf(OverloadedError);
    for (const p of g.pending) p.resolve('x');
  });

  it('a 2,000-key panic with a backend of 15 slots: never more than 15 loads at once, every request answered or refused by type', async () => {
    const { cache } = fixture({ maxConcurrentLoads: 15, overload: { waitMs: 20 } });
    let running = 0;
    let maxRunning = 0;
    const loader = async () => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, 5));
      running -= 1;
      return 'v';
    };
    const settled = await Promise.allSettled(Array.from({ length: 2000 }, (_, i) => cache.getOrLoad(`market-${i}`, loader, panic())));
    expect(maxRunning).toBeLessThanOrEqual(15);
    expect(settled.every((s) => s.status === 'fulfilled' || s.reason instanceof OverloadedError)).toBe(true);
    const stats = cache.stats();
    expect(stats.loads + stats.overloadRejected).toBe(2000);
  });
});
