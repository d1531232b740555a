import { describe, expect, it } from 'vitest';
import {
  AdaptiveCache,
  InvalidConfigError,
  InvalidInputError,
  LoaderTimeoutError,
  MemoryCacheStore,
  MemoryPanicClock,
  VixCircuitBreaker,
  type AdaptiveCacheOptions,
  type CacheEvent,
  type CacheLoader,
  type CacheLoaderContext,
  type CacheStore,
  type GetTtlInput,
  type PanicPolicyOptions,
} from '../../src/index.js';
import { thrown } from '../support/thrown.js';

const SECOND = 1000;
const MEDIUM = { league: 'Ligue 1' } as const;

/**
 * A cache on a memory store, a memory panic clock and a breaker that all read the
 * same hand-moved time source, so ages and tiers are exact and nothing sleeps.
 * `tiers` shortens the policy so one test can cross every tier within minutes of fake time.
 */
function fixture(options: Partial<AdaptiveCacheOptions> & { tiers?: boolean } = {}) {
  let now = Date.UTC(2026, 5, 14, 20, 0, 0);
  const time = () => now;
  const clock = new MemoryPanicClock({ now: time });
  const shortTiers: PanicPolicyOptions = { tiers: { medium_stakes: { thresholdsMin: [0.5, 0.75, 1], ttlSeconds: [0, 5, 30, 120] } } };
  const policy = options.tiers ? shortTiers : undefined;
  const breaker = new VixCircuitBreaker({ clock, syncIntervalMs: 0, now: time, ...(policy ? { policy } : {}) });
  const store = new MemoryCacheStore({ now: time });
  const events: CacheEvent[] = [];
  const { tiers: _tiers, ...cacheOptions } = options;
  const cache = new AdaptiveCache({ breaker, store, hooks: { onCacheEvent: (e) => events.push(e) }, ...cacheOptions });
  return { cache, store, clock, events, advance: (ms: number) => (now += ms) };
}

function counting<T>(value: (n: number) => T): CacheLoader<T> & { calls: number } {
  const loader = Object.assign(
    async () => {
      loader.calls += 1;
      return value(loader.calls);
    },
    { calls: 0 },
  );
  return loader;
}

function failing(error: Error): CacheLoader<never> & { calls: number } {
  const loader = Object.assign(
    async (): Promise<never> => {
      loader.calls += 1;
      throw error;
    },
    { calls: 0 },
  );
  return loader;
}

const calm = (baseTtl = 60): GetTtlInput => ({ baseTtl, vixStatus: 'calm', match: MEDIUM });
const panic = (baseTtl = 60): GetTtlInput => ({ baseTtl, vixStatus: 'panic', match: MEDIUM });

describe('read-time freshness: an entry is served only while its age is below the current TTL', () => {
  it('an entry written 20 s before a panic is not served in tier 1, nor in tier 2 (5 s), and is served again in tier 4 (120 s)', async () => {
    const { cache, advance } = fixture({ tiers: true });
    const written = await cache.getOrLoadWithMeta('odds:psg-om', counting(() => 'pre-goal odds'), calm(300));
    expect(written).toMatchObject({ status: 'miss', value: 'pre-goal odds' });

    advance(20 * SECOND); // the goal: panic starts, the entry is 20 s old
    const goal = new Error('backend probe');
    const probe = failing(goal);
    await expect(cache.getOrLoad('odds:psg-om', probe, panic(300))).rejects.toBe(goal);
    expect(probe.calls).toBe(1); // tier 1 (TTL 0): the 20-s-old entry was not served

    advance(40 * SECOND); // panic 40 s → tier 2, TTL 5; entry 60 s old
    await expect(cache.getOrLoad('odds:psg-om', probe, panic(300))).rejects.toBe(goal);
    expect(probe.calls).toBe(2);

    advance(30 * SECOND); // panic 70 s → tier 4, TTL 120; entry 90 s old
    const again = await cache.getOrLoadWithMeta('odds:psg-om', probe, panic(300));
    expect(again).toMatchObject({ status: 'hit', value: 'pre-goal odds', ageMs: 90 * SECOND, stale: false });
    expect(again.decision).toMatchObject({ tier: 4, ttl: 120 });
    expect(probe.calls).toBe(2);
  });

  it('in tier 2 (5 s) an entry aged 3 s is fresh and one aged 5 s is not (the bound is strict)', async () => {
    const { cache, clock, advance } = fixture();
    await clock.startPanic(undefined, { ageMs: 31 * 60 * SECOND }); // medium stakes: tier 2 after 30 min
    const loader = counting((n) => `v${n}`);
    expect(await cache.getOrLoadWithMeta('k', loader, panic())).toMatchObject({ status: 'miss', value: 'v1', decision: { tier: 2, ttl: 5 } });
    advance(3 * SECOND);
    expect(await cache.getOrLoadWithMeta('k', loader, panic())).toMatchObject({ status: 'hit', value: 'v1', ageMs: 3 * SECOND });
    advance(2 * SECOND);
    expect(await cache.getOrLoadWithMeta('k', loader, panic())).toMatchObject({ status: 'miss', value: 'v2' });
    expect(loader.calls).toBe(2);
  });

  it('without a panic the base TTL applies, and a calm read after a panic serves entries again', async () => {
    const { cache, advance } = fixture();
    const loader = counting((n) => n);
    await cache.getOrLoad('k', loader, calm(60));
    advance(59 * SECOND);
    expect(await cache.getOrLoadWithMeta('k', loader, calm(60))).toMatchObject({ status: 'hit', value: 1 });
    advance(1 * SECOND);
    expect(await cache.getOrLoadWithMeta('k', loader, calm(60))).toMatchObject({ status: 'miss', value: 2 });
  });

  it('a miss event says why: absent, then expired (the entry still lives, but is too old for the current TTL)', async () => {
    const { cache, events, advance } = fixture();
    const loader = counting((n) => n);
    await cache.getOrLoad('k', loader, calm(60));
    advance(1 * SECOND);
    await cache.getOrLoad('k', loader, panic(60));
    const misses = events.filter((e) => e.type === 'miss').map((e) => (e as { reason: string }).reason);
    expect(misses).toEqual(['absent', 'expired']);
  });
});

describe('coalescing in one process', () => {
  it('100 concurrent getOrLoad at TTL 0 share one loader call', async () => {
    const { cache } = fixture();
    let calls = 0;
    const loader = async () => {
      calls += 1;
      await new Promise((r) => setTimeout(r, 20));
      return { price: 2.15 };
    };
    const results = await Promise.all(Array.from({ length: 100 }, () => cache.getOrLoadWithMeta('odds', loader, panic())));
    expect(calls).toBe(1);
    expect(results.every((r) => r.value.price === 2.15 && r.decision.ttl === 0)).toBe(true);
    expect(results.filter((r) => r.status === 'miss')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'coalesced')).toHaveLength(99);
    expect(cache.stats()).toMatchObject({ loads: 1, coalescedWaits: 99, misses: 100, hits: 0 });
  });

  it('at TTL 0 a later (not concurrent) call loads again: single flight covers concurrency, not freshness', async () => {
    const { cache } = fixture();
    const loader = counting((n) => n);
    await cache.getOrLoad('odds', loader, panic());
    await cache.getOrLoad('odds', loader, panic());
    expect(loader.calls).toBe(2);
  });

  it('concurrent callers of a failing load all receive the loader error, unchanged', async () => {
    const { cache } = fixture();
    const error = new Error('backend down');
    const loader = failing(error);
    const settled = await Promise.allSettled(Array.from({ length: 10 }, () => cache.getOrLoad('odds', loader, panic())));
    expect(loader.calls).toBe(1);
    expect(settled.every((s) => s.status === 'rejected' && s.reason === error)).toBe(true);
  });
});

/** A loader that never settles by itself; `settle` ends it later, `signals` are what each call was given. */
function hanging<T>(): CacheLoader<T> & { calls: number; signals: AbortSignal[]; settle(outcome: { value: T } | { error: Error }): void } {
  const endings: Array<(outcome: { value: T } | { error: Error }) => void> = [];
  const loader = Object.assign(
    (context: CacheLoaderContext) => {
      loader.calls += 1;
      loader.signals.push(context.signal);
      return new Promise<T>((resolve, reject) => endings.push((o) => ('error' in o ? reject(o.error) : resolve(o.value))));
    },
    { calls: 0, signals: [] as AbortSignal[], settle: (outcome: { value: T } | { error: Error }) => endings.shift()?.(outcome) },
  );
  return loader;
}

/** Resolves once `events` holds an event of `type` (polled; the cache emits it from a timer or a late settlement). */
async function eventOf(events: CacheEvent[], type: CacheEvent['type']): Promise<CacheEvent> {
  for (let waited = 0; waited < 5000; waited += 5) {
    const found = events.find((e) => e.type === type);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`no ${type} event within 5 s`);
}

describe('loadTimeout.hard: no key can be wedged by a loader that never settles', () => {
  const HARD_MS = 200;

  it('every caller waiting on a hung load gets one LoaderTimeoutError after loadTimeout.hard, and the next call loads again', async () => {
    const { cache, events } = fixture({ loadTimeout: { hard: HARD_MS } });
    const hung = hanging<string>();
    const started = performance.now();
    const settled = await Promise.allSettled(Array.from({ length: 5 }, () => cache.getOrLoad('odds:psg-om', hung, panic())));
    const elapsedMs = performance.now() - started;

    expect(hung.calls).toBe(1); // the five callers shared one load
    const errors = settled.map((s) => (s.status === 'rejected' ? (s.reason as unknown) : s.value));
    expect(new Set(errors).size).toBe(1);
    const error = errors[0] as LoaderTimeoutError;
    expect(error).toBeInstanceOf(LoaderTimeoutError);
    expect(error).toMatchObject({ code: 'VIX_TTL_LOAD_TIMEOUT', key: 'odds:psg-om', timeoutMs: HARD_MS });
    expect(error.message).toBe('loader for key "odds:psg-om" did not settle within loadTimeout.hard = 200 ms');
    expect(elapsedMs).toBeGreaterThanOrEqual(HARD_MS - 1); // not before the bound (timers may round down by 1 ms)
    expect(elapsedMs).toBeLessThan(HARD_MS + 4000); // and not forever (a margin for a loaded machine)
    expect(hung.signals[0]!.aborted).toBe(true); // the loader was told to stop
    expect(hung.signals[0]!.reason).toBe(error);

    const next = counting(() => 'fresh odds');
    expect(await cache.getOrLoadWithMeta('odds:psg-om', next, panic())).toMatchObject({ status: 'miss', value: 'fresh odds' });
    expect(next.calls).toBe(1);
    expect(events.filter((e) => e.type === 'load_timeout')).toEqual([{ type: 'load_timeout', key: 'odds:psg-om', timeoutMs: HARD_MS }]);
    expect(cache.stats()).toMatchObject({ loads: 2, loadTimeouts: 1, loadErrors: 0, lateLoads: 0 });
  });

  it('a hung loader blocks only its own key: another key loads meanwhile', async () => {
    const { cache } = fixture({ loadTimeout: { hard: HARD_MS } });
    const wedged = cache.getOrLoad('odds:a', hanging<string>(), panic()).catch((e: unknown) => e);
    expect(await cache.getOrLoad('odds:b', counting(() => 'b'), panic())).toBe('b');
    expect(await wedged).toBeInstanceOf(LoaderTimeoutError);
  });

  it('a value that arrives after the timeout is discarded: it never overwrites the newer entry a later call wrote', async () => {
    const { cache, store, events } = fixture({ loadTimeout: { hard: HARD_MS } });
    const slow = hanging<string>();
    await expect(cache.getOrLoad('odds', slow, calm(60))).rejects.toBeInstanceOf(LoaderTimeoutError);
    expect(await cache.getOrLoadWithMeta('odds', counting(() => 'newer'), calm(60))).toMatchObject({ status: 'miss', value: 'newer' });

    slow.settle({ value: 'older' }); // the abandoned backend call finally answers
    expect(await eventOf(events, 'late_load')).toMatchObject({ type: 'late_load', key: 'odds', ok: true });
    expect(await cache.getOrLoadWithMeta('odds', counting(() => 'unused'), calm(60))).toMatchObject({ status: 'hit', value: 'newer' });
    expect(JSON.parse((await store.read('vix-ttl:cache:odds')).entry!.payload)).toBe('newer');
    expect(cache.stats()).toMatchObject({ loadTimeouts: 1, lateLoads: 1 });
  });

  it('a late value is not written even when no newer load came (its age is unknown), and a late rejection is absorbed', async () => {
    const { cache, store, events } = fixture({ loadTimeout: { hard: HARD_MS } });
    const slow = hanging<string>();
    await expect(cache.getOrLoad('odds', slow, calm(60))).rejects.toBeInstanceOf(LoaderTimeoutError);
    slow.settle({ value: 'late' });
    await eventOf(events, 'late_load');
    expect((await store.read('vix-ttl:cache:odds')).entry).toBeNull();

    const failingLate = hanging<string>();
    await expect(cache.getOrLoad('other', failingLate, calm(60))).rejects.toBeInstanceOf(LoaderTimeoutError);
    failingLate.settle({ error: new Error('backend finally failed') }); // no unhandled rejection (vitest would fail the run)
    await new Promise((r) => setTimeout(r, 20));
    expect(events.filter((e) => e.type === 'late_load').map((e) => (e as { ok: boolean }).ok)).toEqual([true, false]);
  });

  it('a timed-out load is a failed load: an entry inside staleIfErrorSeconds stands in, flagged stale, with the timeout as its error', async () => {
    const { cache, events, advance } = fixture({ loadTimeout: { hard: HARD_MS }, staleIfErrorSeconds: 30 });
    await cache.getOrLoad('odds', counting(() => 'last good'), calm(60));
    advance(5 * SECOND);
    const result = await cache.getOrLoadWithMeta('odds', hanging<string>(), panic());
    expect(result).toMatchObject({ value: 'last good', status: 'stale', stale: true });
    const stale = events.find((e) => e.type === 'stale') as Extract<CacheEvent, { type: 'stale' }>;
    expect(stale.error).toBeInstanceOf(LoaderTimeoutError);
  });

  it('a loader that settles in time is not cut: no timeout fires after it returned', async () => {
    const { cache, events } = fixture({ loadTimeout: { hard: 30 } });
    expect(await cache.getOrLoad('odds', counting(() => 'quick'), panic())).toBe('quick');
    await new Promise((r) => setTimeout(r, 100)); // well past the 30 ms bound
    expect(events.some((e) => e.type === 'load_timeout')).toBe(false);
    expect(cache.stats()).toMatchObject({ loads: 1, loadTimeouts: 0 });
  });

  it('defaults to 10 s, and rejects a bound that is not a whole number of ms in 1..600,000 or an unknown key', () => {
    const breaker = new VixCircuitBreaker({ clock: new MemoryPanicClock() });
    const base = { breaker, store: new MemoryCacheStore() };
    expect(new AdaptiveCache(base).options.loadTimeout).toEqual({ hard: 10_000 });
    for (const [loadTimeout, field] of [
      [{ hard: 0 }, 'AdaptiveCache.loadTimeout.hard'],
      [{ hard: 1.5 }, 'AdaptiveCache.loadTimeout.hard'],
      [{ hard: 600_001 }, 'AdaptiveCache.loadTimeout.hard'],
      [{ hard: Number.POSITIVE_INFINITY }, 'AdaptiveCache.loadTimeout.hard'],
      [{ hard: '5000' }, 'AdaptiveCache.loadTimeout.hard'],
      [{ soft: 10_000 }, 'AdaptiveCache.loadTimeout.soft'], // soft must be below hard
      [{ soft: 0.5 }, 'AdaptiveCache.loadTimeout.soft'],
      [{ firm: 100 }, 'AdaptiveCache.loadTimeout'],
      [5000, 'AdaptiveCache.loadTimeout'],
    ] as const) {
      const error = (() => {
        try {
          return new AdaptiveCache({ ...base, loadTimeout: loadTimeout as never });
        } catch (e) {
          return e;
        }
      })();
      expect(error, JSON.stringify(loadTimeout)).toBeInstanceOf(InvalidConfigError);
      expect((error as InvalidConfigError).field).toBe(field);
    }
  });
});

describe('stale on loader error', () => {
  it('serves an entry younger than staleIfErrorSeconds, flagged stale, when the loader fails', async () => {
    const { cache, events, advance } = fixture({ staleIfErrorSeconds: 30 });
    await cache.getOrLoad('odds', counting(() => 'good'), calm(60));
    advance(10 * SECOND);
    const error = new Error('backend 503');
    const result = await cache.getOrLoadWithMeta('odds', failing(error), panic());
    expect(result).toMatchObject({ value: 'good', status: 'stale', stale: true });
    expect(result.ageMs).toBeGreaterThanOrEqual(10 * SECOND);
    expect(events.find((e) => e.type === 'stale')).toMatchObject({ key: 'odds', error });
    expect(cache.stats().staleServed).toBe(1);
  });

  it('rethrows the loader error (the same object) when the entry is older than the window', async () => {
    const { cache, advance } = fixture({ staleIfErrorSeconds: 30 });
    await cache.getOrLoad('odds', counting(() => 'good'), calm(60));
    advance(30 * SECOND);
    const error = new TypeError('backend exploded');
    await expect(cache.getOrLoad('odds', failing(error), panic())).rejects.toBe(error);
  });

  it('rethrows the loader error unchanged when no stale window is configured', async () => {
    const { cache, advance } = fixture();
    await cache.getOrLoad('odds', counting(() => 'good'), calm(60));
    advance(1 * SECOND);
    const error = new Error('nope');
    await expect(cache.getOrLoad('odds', failing(error), panic())).rejects.toBe(error);
  });

  it('a loader that throws synchronously is handled like one that rejects', async () => {
    const { cache } = fixture({ staleIfErrorSeconds: 30 });
    await cache.getOrLoad('odds', counting(() => 'good'), calm(60));
    const error = new Error('sync throw');
    const result = await cache.getOrLoadWithMeta(
      'odds',
      () => {
        throw error;
      },
      panic(),
    );
    expect(result).toMatchObject({ value: 'good', stale: true });
  });
});

describe('physical expiry in the store', () => {
  function recordingStore(inner: CacheStore): CacheStore & { writes: Array<{ key: string; expiryMs: number }> } {
    const writes: Array<{ key: string; expiryMs: number }> = [];
    return Object.assign(Object.create(inner) as CacheStore, {
      writes,
      kind: inner.kind,
      shared: inner.shared,
      read: (key: string) => inner.read(key),
      delete: (key: string) => inner.delete(key),
      tryLock: (key: string, token: string, ttlMs: number) => inner.tryLock(key, token, ttlMs),
      unlock: (key: string, token: string) => inner.unlock(key, token),
      write: (key: string, payload: string, expiryMs: number) => {
        writes.push({ key, expiryMs });
        return inner.write(key, payload, expiryMs);
      },
    });
  }

  it.each([
    ['calm, base 60 s, no stale window', calm(60), 0, [60_000]],
    ['tier 1 (TTL 0), no stale window: nothing is written', panic(60), 0, []],
    ['tier 1 (TTL 0), 30 s stale window: kept 30 s', panic(60), 30, [30_000]],
    ['calm, base 10 s, 30 s stale window: kept 30 s', calm(10), 30, [30_000]],
  ] as const)('%s', async (_label, input, staleIfErrorSeconds, expected) => {
    const time = () => 1_700_000_000_000;
    const store = recordingStore(new MemoryCacheStore({ now: time }));
    const breaker = new VixCircuitBreaker({ clock: new MemoryPanicClock({ now: time }), syncIntervalMs: 0, now: time });
    const cache = new AdaptiveCache({ breaker, store, staleIfErrorSeconds });
    await cache.getOrLoad('k', async () => 1, input);
    expect(store.writes.map((w) => w.expiryMs)).toEqual(expected);
    expect(store.writes.every((w) => w.key === 'vix-ttl:cache:k')).toBe(true);
  });
});

describe('serialization', () => {
  it('JSON by default: the value read back equals the value loaded', async () => {
    const { cache } = fixture();
    const odds = { match: 'PSG-OM', home: 1.85, draw: 3.4, away: 4.2, tags: ['live'] };
    await cache.getOrLoad('odds', async () => odds, calm());
    const hit = await cache.getOrLoadWithMeta('odds', async () => null, calm());
    expect(hit.status).toBe('hit');
    expect(hit.value).toEqual(odds);
  });

  it('a pluggable serializer is used both ways', async () => {
    const serializer = {
      serialize: (v: unknown) => `b64:${Buffer.from(JSON.stringify(v)).toString('base64')}`,
      deserialize: (t: string) => JSON.parse(Buffer.from(t.slice(4), 'base64').toString()) as unknown,
    };
    const { cache } = fixture({ serializer });
    await cache.getOrLoad('odds', async () => ({ x: 1 }), calm());
    expect(await cache.getOrLoadWithMeta('odds', async () => null, calm())).toMatchObject({ status: 'hit', value: { x: 1 } });
  });

  it('a value that fails to deserialize is a counted miss, never an error', async () => {
    let broken = false;
    const serializer = {
      serialize: (v: unknown) => JSON.stringify(v),
      deserialize: (t: string) => {
        if (broken) throw new SyntaxError('bad payload');
        return JSON.parse(t) as unknown;
      },
    };
    const { cache, events } = fixture({ serializer });
    await cache.getOrLoad('odds', async () => 1, calm());
    broken = true;
    expect(await cache.getOrLoadWithMeta('odds', async () => 2, calm())).toMatchObject({ status: 'miss', value: 2 });
    expect(events.some((e) => e.type === 'corrupt')).toBe(true);
    expect(events.find((e) => e.type === 'miss' && e.reason === 'corrupt')).toBeDefined();
    expect(cache.stats().corrupt).toBe(1);
  });

  it('a value JSON cannot represent is returned but not cached', async () => {
    const { cache, events } = fixture();
    const big = { n: 10n };
    expect(await cache.getOrLoad('odds', async () => big, calm())).toBe(big);
    expect(await cache.getOrLoad('none', async () => undefined, calm())).toBeUndefined();
    expect(events.filter((e) => e.type === 'not_cached')).toHaveLength(2);
    expect(cache.stats().notCached).toBe(2);
  });
});

describe('keys, options and hooks', () => {
  it('keys are namespaced', async () => {
    const { cache, store } = fixture({ namespace: 'odds:' });
    await cache.getOrLoad('psg', async () => 1, calm());
    expect((await store.read('odds:psg')).entry).not.toBeNull();
    expect((await store.read('vix-ttl:cache:psg')).entry).toBeNull();
  });

  it.each([
    ['empty', ''],
    ['too long', 'x'.repeat(513)],
    ['with a newline', 'a\nb'],
    ['with a lone high surrogate (UTF-8 would make it odds:\uFFFD, shared with every other one)', 'odds:\uD800'],
    ['with a lone low surrogate', 'odds:\uDC00'],
    ['not a string', 42],
  ])('rejects a key that is %s with InvalidInputError naming key', async (_label, key) => {
    const { cache } = fixture();
    const error = await cache.getOrLoad(key as string, async () => 1, calm()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).field).toBe('key');
  });

  it('a key with a well-formed pair of surrogates (an emoji) is a key like any other', async () => {
    const { cache } = fixture();
    expect(await cache.getOrLoad('odds:⚽😀', async () => 'goal', calm())).toBe('goal');
  });

  it('a value whose serialization throws something unprintable (a null-prototype object) is served, not cached, and reported', async () => {
    const { cache } = fixture();
    const events: CacheEvent[] = [];
    cache.onCacheEvent((e) => events.push(e));
    const value = { toJSON: () => { throw Object.create(null); } };
    await expect(cache.getOrLoad('unprintable', async () => value, calm())).resolves.toBe(value);
    expect(events).toContainEqual(expect.objectContaining({ type: 'not_cached', key: 'unprintable' }));
  });

  it('a tag with a lone surrogate is refused, naming tags', async () => {
    const { cache } = fixture();
    const error = await cache.getOrLoad('k', async () => 1, { ...calm(), tags: ['market:\uD800'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).field).toBe('tags');
  });

  it('an invalid decision input is the breaker’s InvalidInputError, and the loader is not called', async () => {
    const { cache } = fixture();
    const loader = counting(() => 1);
    const error = await cache.getOrLoad('k', loader, { baseTtl: -1, vixStatus: 'calm' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).field).toBe('baseTtl');
    expect(loader.calls).toBe(0);
  });

  it('rejects a loader that is not a function', async () => {
    const { cache } = fixture();
    await expect(cache.getOrLoad('k', 'nope' as unknown as CacheLoader<number>, calm())).rejects.toThrow(/loader must be a function/);
  });

  it.each([
    ['breaker', { breaker: undefined }, /breaker/],
    ['store', { store: {} }, /store/],
    ['namespace', { namespace: 'no colon' }, /namespace/],
    ['timeoutMs', { timeoutMs: 0 }, /timeoutMs/],
    ['staleIfErrorSeconds', { staleIfErrorSeconds: -1 }, /staleIfErrorSeconds/],
    ['coalesce.lockTtlMs', { coalesce: { lockTtlMs: 0 } }, /coalesce\.lockTtlMs/],
    ['coalesce.crossProcess on a memory store', { coalesce: { crossProcess: true } }, /crossProcess.*shared/],
    ['an unknown option', { ttl: 5 }, /ttl/],
  ])('rejects a bad %s at construction with InvalidConfigError', (_label, patch, message) => {
    const breaker = new VixCircuitBreaker({ clock: new MemoryPanicClock() });
    const base = { breaker, store: new MemoryCacheStore() };
    expect(() => new AdaptiveCache({ ...base, ...patch } as unknown as AdaptiveCacheOptions)).toThrow(InvalidConfigError);
    expect(() => new AdaptiveCache({ ...base, ...patch } as unknown as AdaptiveCacheOptions)).toThrow(message);
  });

  it('a hook that throws does not change what is served', async () => {
    const breaker = new VixCircuitBreaker({ clock: new MemoryPanicClock() });
    const cache = new AdaptiveCache({
      breaker,
      store: new MemoryCacheStore(),
      hooks: {
        onCacheEvent: () => {
          throw new Error('metrics broke');
        },
      },
    });
    expect(await cache.getOrLoad('k', async () => 7, calm())).toBe(7);
    expect(await cache.getOrLoadWithMeta('k', async () => 8, calm())).toMatchObject({ status: 'hit', value: 7 });
  });

  it('delete invalidates an entry', async () => {
    const { cache } = fixture();
    await cache.getOrLoad('k', async () => 1, calm());
    expect(await cache.delete('k')).toBe(true);
    expect(await cache.delete('k')).toBe(false);
    expect(await cache.getOrLoadWithMeta('k', async () => 2, calm())).toMatchObject({ status: 'miss', value: 2 });
  });
});

describe('contradictory or idle option combinations are refused at construction, naming the field', () => {
  const base = () => ({ breaker: new VixCircuitBreaker({ clock: null }), store: new MemoryCacheStore({ max: 10 }) });
  const refused = (options: object, field: string) => {
    const error = thrown(() => new AdaptiveCache({ ...base(), ...options }));
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as InvalidConfigError).message).toContain(`AdaptiveCache.${field}`);
  };

  it('coalesce.waitTimeoutMs below loadTimeout.hard (waiters would load a key still being loaded); its default follows hard', () => {
    refused({ coalesce: { waitTimeoutMs: 5000 } }, 'coalesce.waitTimeoutMs');
    refused({ coalesce: { waitTimeoutMs: 999 }, loadTimeout: { hard: 1000 } }, 'coalesce.waitTimeoutMs');
    expect(() => new AdaptiveCache({ ...base(), coalesce: { waitTimeoutMs: 1000 }, loadTimeout: { hard: 1000 } })).not.toThrow();
  });

  it('loadTimeout.soft without staleIfErrorSeconds (soft would never act)', () => {
    refused({ loadTimeout: { soft: 300 } }, 'loadTimeout.soft');
    expect(() => new AdaptiveCache({ ...base(), loadTimeout: { soft: 300 }, staleIfErrorSeconds: 30 })).not.toThrow();
  });

  it('invalidateOn.marketChannel equal to the cache’s own bus channel', () => {
    refused({ invalidateOn: { marketChanges: true, marketChannel: 'vix-ttl:cache.bus' } }, 'invalidateOn.marketChannel');
  });

  it('maxConcurrentLoadsPerScope above maxConcurrentLoads', () => {
    refused({ maxConcurrentLoads: 5, maxConcurrentLoadsPerScope: 6 }, 'maxConcurrentLoadsPerScope');
    expect(() => new AdaptiveCache({ ...base(), maxConcurrentLoads: 5, maxConcurrentLoadsPerScope: 5 })).not.toThrow();
  });

  it('bus without l1 or invalidateOn, overload without maxConcurrentLoads(PerScope) or refreshAhead: options that would never act', () => {
    refused({ bus: { heartbeatMs: 500 } }, 'bus');
    refused({ overload: { waitMs: 10 } }, 'overload');
    expect(() => new AdaptiveCache({ ...base(), refreshAhead: 0.8, overload: { staleMs: 1000 } })).not.toThrow();
  });
});
