import type { Redis } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import {
  AdaptiveCache,
  InvalidConfigError,
  LoaderTimeoutError,
  MemoryPanicClock,
  RedisCacheStore,
  RedisPanicClock,
  VixCircuitBreaker,
  type AdaptiveCacheOptions,
  type CacheEvent,
  type GetTtlInput,
} from '../../src/index.js';
import { commandCalls, diffCalls } from '../support/commandstats.js';
import { useRedisServer } from '../support/use-redis-server.js';

const MIN = 60_000;
const MEDIUM = { league: 'Premier League' } as const;
const calm = (baseTtl = 60): GetTtlInput => ({ baseTtl, vixStatus: 'calm', match: MEDIUM });
const panic = (baseTtl = 60): GetTtlInput => ({ baseTtl, vixStatus: 'panic', match: MEDIUM });

/**
 * Moves an entry's Redis-clock stamp `ms` into the past, keeping its payload and
 * expiry: the value format `<writtenAtMs>:<payload>` is RedisCacheStore's documented one.
 */
async function backdate(redis: Redis, key: string, ms: number): Promise<void> {
  const raw = await redis.get(key);
  const match = /^(\d+):(.*)$/s.exec(raw ?? '');
  if (!match) throw new Error(`no entry under ${key}: ${raw}`);
  await redis.set(key, `${Number(match[1]) - ms}:${match[2]}`, 'KEEPTTL');
}

async function redisNowMs(redis: Redis): Promise<number> {
  const [s, us] = await redis.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

describe('AdaptiveCache on a real redis-server', () => {
  const redis = useRedisServer({ flushBeforeEach: true });

  /** A cache on Redis whose decisions follow a hand-moved panic clock; entry ages are real Redis time. */
  function onFakeDecisionTime(options: Partial<AdaptiveCacheOptions> = {}) {
    let now = Date.UTC(2026, 5, 14, 20, 0, 0);
    const clock = new MemoryPanicClock({ now: () => now });
    const breaker = new VixCircuitBreaker({ clock, syncIntervalMs: 0, now: () => now });
    const events: CacheEvent[] = [];
    // The store shares the test's connected client, so no command waits for a connection
    // and commands of caches built one after the other reach Redis in that order.
    const cache = new AdaptiveCache({ breaker, store: new RedisCacheStore(redis.client), timeoutMs: 1000, hooks: { onCacheEvent: (e) => events.push(e) }, ...options });
    return { cache, clock, events, advance: (ms: number) => (now += ms) };
  }

  describe('read-time freshness on Redis time', () => {
    it('an entry written 20 s before a panic is not served at tier 1 (nor tier 2), and is served again at tier 4 (60 s)', async () => {
      const { cache, advance } = onFakeDecisionTime();
      await cache.getOrLoad('odds:ars-che', async () => ({ home: 2.1 }), calm(60));
      await backdate(redis.client, 'vix-ttl:cache:odds:ars-che', 20_000); // written 20 s ago; the goal is now

      const probe = vi.fn(async () => {
        throw new Error('probe');
      });
      await expect(cache.getOrLoad('odds:ars-che', probe, panic(60))).rejects.toThrow('probe'); // tier 1: TTL 0
      advance(31 * MIN);
      await expect(cache.getOrLoad('odds:ars-che', probe, panic(60))).rejects.toThrow('probe'); // tier 2: 20 s ≥ 5 s
      expect(probe).toHaveBeenCalledTimes(2);

      advance(150 * MIN); // panic 181 min → tier 4, TTL 60: the entry, ~20 s old on Redis's clock, is fresh again
      const served = await cache.getOrLoadWithMeta('odds:ars-che', probe, panic(60));
      expect(served).toMatchObject({ status: 'hit', value: { home: 2.1 }, decision: { tier: 4, ttl: 60 } });
      expect(served.ageMs).toBeGreaterThanOrEqual(20_000);
      expect(served.ageMs).toBeLessThan(25_000);
      expect(probe).toHaveBeenCalledTimes(2);
    });

    it('stamps entries with Redis TIME, so a worker whose own clock is an hour off sees the same ages', async () => {
      const { cache } = onFakeDecisionTime();
      vi.useFakeTimers({ toFake: ['Date'] });
      try {
        vi.setSystemTime(Date.now() - 60 * MIN); // this host's clock is an hour behind
        const before = await redisNowMs(redis.client);
        await cache.getOrLoad('k', async () => 1, calm(60));
        const after = await redisNowMs(redis.client);
        const stamp = Number((await redis.client.get('vix-ttl:cache:k'))!.split(':')[0]);
        expect(stamp).toBeGreaterThanOrEqual(before);
        expect(stamp).toBeLessThanOrEqual(after);
        const hit = await cache.getOrLoadWithMeta('k', async () => 2, calm(60));
        expect(hit.status).toBe('hit');
        expect(hit.ageMs).toBeLessThan(1000);
      } finally {
        vi.useRealTimers();
      }
    });

    it('a hit costs one Redis round trip (GET and TIME in one script)', async () => {
      const { cache } = onFakeDecisionTime();
      await cache.getOrLoad('k', async () => 1, calm(60));
      const before = await commandCalls(redis.client);
      expect((await cache.getOrLoadWithMeta('k', async () => 2, calm(60))).status).toBe('hit');
      const delta = diffCalls(before, await commandCalls(redis.client));
      expect(delta.evalsha).toBe(1);
      expect(delta.set ?? 0).toBe(0);
    });
  });

  describe('coalescing', () => {
    it('100 concurrent getOrLoad at TTL 0 make one loader call', async () => {
      const breaker = new VixCircuitBreaker({ clock: new RedisPanicClock(redis.server.client(), { timeoutMs: 1000 }), timeoutMs: 1000 });
      const cache = new AdaptiveCache({ breaker, store: new RedisCacheStore(redis.server.client()), timeoutMs: 1000 });
      let calls = 0;
      const loader = async () => {
        calls += 1;
        await new Promise((r) => setTimeout(r, 100));
        return { price: 1.91 };
      };
      const results = await Promise.all(Array.from({ length: 100 }, () => cache.getOrLoadWithMeta('odds:live', loader, panic())));
      expect(calls).toBe(1);
      expect(results.every((r) => r.decision.ttl === 0 && r.decision.tier === 1 && r.value.price === 1.91)).toBe(true);
      expect(results.filter((r) => r.status === 'coalesced')).toHaveLength(99);
      expect(await redis.client.exists('vix-ttl:cache:odds:live')).toBe(0); // TTL 0, no stale window: nothing kept
    });

    it('cross-process mode: a second cache (another process’s view) waits for the lock holder’s entry instead of loading', async () => {
      // A lock that outlives the test: only the holder's release, not its expiry, can remove it.
      const a = onFakeDecisionTime({ coalesce: { crossProcess: true, waitTimeoutMs: 2000, lockTtlMs: 60_000 }, loadTimeout: { hard: 2000 } }).cache;
      const b = onFakeDecisionTime({ coalesce: { crossProcess: true, waitTimeoutMs: 2000, lockTtlMs: 60_000 }, loadTimeout: { hard: 2000 } }).cache;
      let calls = 0;
      const loader = async () => {
        calls += 1;
        await new Promise((r) => setTimeout(r, 150));
        return `load ${calls}`;
      };
      const [ra, rb] = await Promise.all([a.getOrLoadWithMeta('odds', loader, panic()), b.getOrLoadWithMeta('odds', loader, panic())]);
      expect(calls).toBe(1);
      expect([ra.status, rb.status].sort()).toEqual(['coalesced', 'miss']);
      expect(ra.value).toBe(rb.value);
      // Released after the write, in the background (the answer does not wait for it; its first use may cost
      // a NOSCRIPT round trip), so the test waits for the release rather than racing it.
      await vi.waitFor(async () => expect(await redis.client.exists('vix-ttl:cache.lock:odds')).toBe(0), { timeout: 10_000, interval: 20 });
    });

    it('cross-process mode: a waiter whose lock holder fails takes over and loads itself', async () => {
      const a = onFakeDecisionTime({ coalesce: { crossProcess: true, waitTimeoutMs: 2000 }, loadTimeout: { hard: 2000 } }).cache;
      const b = onFakeDecisionTime({ coalesce: { crossProcess: true, waitTimeoutMs: 2000 }, loadTimeout: { hard: 2000 } }).cache;
      const error = new Error('holder failed');
      const failing = async () => {
        await new Promise((r) => setTimeout(r, 50));
        throw error;
      };
      const first = a.getOrLoad('odds', failing, panic()).catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 10));
      const second = await b.getOrLoadWithMeta('odds', async () => 'fresh', panic());
      expect(await first).toBe(error);
      expect(second).toMatchObject({ status: 'miss', value: 'fresh' });
    });

    it('cross-process mode needs a shared store', () => {
      expect(() => onFakeDecisionTime({ coalesce: { crossProcess: true }, store: { kind: 'x', shared: false } as never })).toThrow(InvalidConfigError);
    });
  });

  describe('loadTimeout.hard on Redis: a hung loader releases the key, the lock and the other processes', () => {
    const HARD_MS = 300;
    const never = () => new Promise<string>(() => {});

    async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
      for (let waited = 0; waited < 10_000; waited += 5) {
        if (await condition()) return;
        await new Promise((r) => setTimeout(r, 5));
      }
      throw new Error(`timed out waiting for ${what}`);
    }

    it('the holder’s callers get LoaderTimeoutError, its lock is deleted at the timeout, and a cache waiting on that lock loads itself long before its waitTimeoutMs', async () => {
      const options = { coalesce: { crossProcess: true, waitTimeoutMs: 30_000, lockTtlMs: 30_000 }, loadTimeout: { hard: HARD_MS } };
      const holder = onFakeDecisionTime(options);
      const waiter = onFakeDecisionTime(options);
      const started = performance.now();
      const wedged = Promise.all([holder.cache.getOrLoad('odds', never, panic()), holder.cache.getOrLoad('odds', never, panic())]).then(
        () => null,
        (e: unknown) => ({ error: e, atMs: performance.now() - started }),
      );
      await until(async () => (await redis.client.exists('vix-ttl:cache.lock:odds')) === 1, 'the holder’s lock');

      const served = await waiter.cache.getOrLoadWithMeta('odds', async () => 'loaded by the waiter', panic());
      const servedAtMs = performance.now() - started;
      const timedOut = await wedged;
      expect(timedOut?.error).toBeInstanceOf(LoaderTimeoutError);
      expect(timedOut?.error).toMatchObject({ code: 'VIX_TTL_LOAD_TIMEOUT', key: 'odds', timeoutMs: HARD_MS });
      expect(timedOut!.atMs).toBeGreaterThanOrEqual(HARD_MS - 1);
      expect(served).toMatchObject({ status: 'miss', value: 'loaded by the waiter' });
      expect(servedAtMs).toBeGreaterThanOrEqual(timedOut!.atMs - 50); // it waited for the holder (polls every ≤ 50 ms)…
      expect(servedAtMs).toBeLessThan(10_000); // …but not for its 30 s waitTimeoutMs, nor the 30 s lock TTL
      expect(await redis.client.exists('vix-ttl:cache.lock:odds')).toBe(0);
      expect(waiter.events.some((e) => e.type === 'store_error')).toBe(false);

      // The holder's own single flight is free again: its next call loads.
      expect(await holder.cache.getOrLoadWithMeta('odds', async () => 'holder again', panic())).toMatchObject({ status: 'miss', value: 'holder again' });
      expect(holder.cache.stats()).toMatchObject({ loadTimeouts: 1, loads: 2 });
    });

    it('a waiter whose own loader hangs too is released by its own bound', async () => {
      const options = { coalesce: { crossProcess: true, waitTimeoutMs: 30_000, lockTtlMs: 30_000 }, loadTimeout: { hard: HARD_MS } };
      const holder = onFakeDecisionTime(options);
      const waiter = onFakeDecisionTime(options);
      const first = holder.cache.getOrLoad('odds', never, panic()).catch((e: unknown) => e);
      await until(async () => (await redis.client.exists('vix-ttl:cache.lock:odds')) === 1, 'the holder’s lock');
      const started = performance.now();
      const second = await waiter.cache.getOrLoad('odds', never, panic()).catch((e: unknown) => e);
      const elapsedMs = performance.now() - started;
      expect(await first).toBeInstanceOf(LoaderTimeoutError);
      expect(second).toBeInstanceOf(LoaderTimeoutError);
      expect(elapsedMs).toBeGreaterThanOrEqual(HARD_MS - 1); // its own full bound, after taking the lock over
      expect(elapsedMs).toBeLessThan(10_000);
      expect(await redis.client.exists('vix-ttl:cache.lock:odds')).toBe(0);
    });

    it('a value that arrives after the timeout never overwrites the newer entry in Redis', async () => {
      const { cache, events } = onFakeDecisionTime({ loadTimeout: { hard: HARD_MS } });
      let answer: (value: string) => void = () => {};
      const slow = () => new Promise<string>((resolve) => (answer = resolve));
      await expect(cache.getOrLoad('odds', slow, calm(60))).rejects.toBeInstanceOf(LoaderTimeoutError);
      await cache.getOrLoad('odds', async () => 'newer', calm(60));
      answer('older');
      await until(async () => events.some((e) => e.type === 'late_load'), 'the late settlement');
      expect((await redis.client.get('vix-ttl:cache:odds'))?.replace(/^\d+:/, '')).toBe('"newer"');
      expect(await cache.getOrLoadWithMeta('odds', async () => 'unused', calm(60))).toMatchObject({ status: 'hit', value: 'newer' });
    });
  });

  describe('stale on loader error', () => {
    it('returns the stale value with stale: true during a panic when the backend fails', async () => {
      const { cache } = onFakeDecisionTime({ staleIfErrorSeconds: 30 });
      await cache.getOrLoad('odds', async () => 'last good', calm(60));
      const result = await cache.getOrLoadWithMeta('odds', async () => Promise.reject(new Error('503')), panic());
      expect(result).toMatchObject({ value: 'last good', status: 'stale', stale: true, decision: { tier: 1, ttl: 0 } });
    });

    it('rethrows the loader error unchanged once the entry is older than the window', async () => {
      const { cache } = onFakeDecisionTime({ staleIfErrorSeconds: 30 });
      await cache.getOrLoad('odds', async () => 'last good', calm(60));
      await backdate(redis.client, 'vix-ttl:cache:odds', 31_000);
      const error = new RangeError('503');
      await expect(cache.getOrLoad('odds', async () => Promise.reject(error), panic())).rejects.toBe(error);
    });
  });

  describe('physical expiry: max(tier TTL, stale window), never 0 / forever', () => {
    it.each([
      ['calm, base 60 s', calm(60), 0, 60_000],
      ['tier 1, stale window 30 s', panic(60), 30, 30_000],
      ['calm, base 5 s, stale window 30 s', calm(5), 30, 30_000],
    ] as const)('%s: the key expires after the expected ms', async (_label, input, staleIfErrorSeconds, expected) => {
      const { cache } = onFakeDecisionTime({ staleIfErrorSeconds });
      await cache.getOrLoad('k', async () => 1, input);
      const pttl = await redis.client.pttl('vix-ttl:cache:k');
      expect(pttl).toBeGreaterThan(expected - 1000);
      expect(pttl).toBeLessThanOrEqual(expected);
    });

    it('tier 1 without a stale window writes nothing at all', async () => {
      const { cache } = onFakeDecisionTime();
      await cache.getOrLoad('k', async () => 1, panic());
      expect(await redis.client.dbsize()).toBe(0);
    });

    it('in cross-process mode a TTL-0 entry is kept only waitTimeoutMs, for the waiters', async () => {
      const { cache } = onFakeDecisionTime({ coalesce: { crossProcess: true, waitTimeoutMs: 800 }, loadTimeout: { hard: 800 } });
      await cache.getOrLoad('k', async () => 1, panic());
      const pttl = await redis.client.pttl('vix-ttl:cache:k');
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(800);
    });
  });

  describe('values Redis holds that the cache did not write', () => {
    it.each([
      ['garbage without a stamp', (k: string) => redis.client.set(k, 'garbage')],
      ['a stamp in the far future', (k: string) => redis.client.set(k, `${Date.now() + 10 * 86_400_000}:1`)],
      ['a stamp with a payload that is not JSON', (k: string) => redis.client.set(k, `${Date.now()}:{not json`)],
      ['a list (wrong type)', (k: string) => redis.client.rpush(k, 'a')],
    ])('%s is a counted miss, and the loader’s value is returned', async (_label, plant) => {
      const { cache, events } = onFakeDecisionTime();
      await plant('vix-ttl:cache:k');
      const result = await cache.getOrLoadWithMeta('k', async () => 'loaded', calm(60));
      expect(result).toMatchObject({ status: 'miss', value: 'loaded' });
      expect(events.some((e) => e.type === 'corrupt')).toBe(true);
      expect(cache.stats().corrupt).toBeGreaterThanOrEqual(1);
    });
  });

  it('RedisCacheStore refuses something that is not an ioredis client', () => {
    expect(() => new RedisCacheStore({} as never)).toThrow(InvalidConfigError);
  });
});
