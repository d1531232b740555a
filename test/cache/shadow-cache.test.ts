import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { AdaptiveCache, InvalidConfigError, MemoryCacheStore, RedisCacheStore, RedisPanicClock, VixCircuitBreaker, type CacheEvent, type GetTtlInput } from '../../src/index.js';
import { advanceRedis, cacheStoreValueAged } from '../support/redis-time-machine.js';
import { useRedisServer } from '../support/use-redis-server.js';

const BASE_TTL = 60;
const EPL = { league: 'Premier League' } as const;
const calm: GetTtlInput = { baseTtl: BASE_TTL, vixStatus: 'calm', match: EPL, scope: 'epl' };
const panic: GetTtlInput = { baseTtl: BASE_TTL, vixStatus: 'panic', match: EPL, scope: 'epl' };

/**
 * Moves everything on Redis `ms` into the past: the cache entries' stamps and expiries,
 * the plain cache's expiries and the panic start (Unix seconds, as the Python workers
 * write it), so ages and panic durations measured on Redis TIME grow by `ms`.
 */
async function elapse(redis: Redis, ms: number): Promise<void> {
  const entry = cacheStoreValueAged(ms);
  await advanceRedis(redis, ms, (value) => (/^\d{9,11}(\.\d+)?$/.test(value) ? (Number(value) - ms / 1000).toFixed(6) : entry(value)));
}

/** A backend whose every load returns the next version, so a value says which load produced it. */
function backend() {
  let version = 0;
  return {
    load: async () => ({ version: ++version }),
    get loads() {
      return version;
    },
  };
}

describe('AdaptiveCache in shadow mode on a real redis-server', () => {
  const redis = useRedisServer({ flushBeforeEach: true });

  /** A breaker on Redis's panic clock (timeouts generous: not the subject). */
  const breakerOnRedis = (shadow = false) => new VixCircuitBreaker({ clock: new RedisPanicClock(redis.client, { timeoutMs: 5000 }), timeoutMs: 5000, syncIntervalMs: 0, shadow });

  /** What a caller does without vix-ttl: GET, else load and SET EX its base TTL. */
  function plainTtlCache() {
    const source = backend();
    return {
      source,
      get: async (key: string) => {
        const raw = await redis.client.get(`plain:${key}`);
        if (raw !== null) return JSON.parse(raw) as { version: number };
        const value = await source.load();
        await redis.client.set(`plain:${key}`, JSON.stringify(value), 'EX', BASE_TTL);
        return value;
      },
    };
  }

  it.each([
    ['a shadow cache over a live breaker', { cacheShadow: true, breakerShadow: false }],
    ['a cache over a breaker in shadow mode', { cacheShadow: false, breakerShadow: true }],
  ])('%s serves, through a panic from calm to tier 3, exactly the values a plain base-TTL cache serves; a live one does not', async (_name, { cacheShadow, breakerShadow }) => {
    const events: CacheEvent[] = [];
    const shadowSource = backend();
    const liveSource = backend();
    const shadow = new AdaptiveCache({ breaker: breakerOnRedis(breakerShadow), store: new RedisCacheStore(redis.client), namespace: 'shadow:', timeoutMs: 5000, shadow: cacheShadow, hooks: { onCacheEvent: (e) => events.push(e) } });
    const live = new AdaptiveCache({ breaker: breakerOnRedis(), store: new RedisCacheStore(redis.client), namespace: 'live:', timeoutMs: 5000 });
    const plain = plainTtlCache();

    // [seconds to let pass before the read, input] — a goal at the 2nd read, reads through tiers 1, 2 and 3.
    const script: Array<[number, GetTtlInput]> = [
      [0, calm],
      [10, panic], // tier 1: the entry is 10 s old — served by a base-TTL cache, not by vix-ttl (TTL 0)
      [25, panic], // 35 s old
      [30, panic], // 65 s old: past the base TTL, everyone loads
      [20, panic],
      [31 * 60, panic], // tier 2 (TTL 5)
      [3, panic],
      [60 * 60, panic], // tier 3 (TTL 30)
      [20, panic],
      [45, panic],
      [5, calm],
    ];
    const rows: Array<{ shadow: number; plain: number; live: number; tier: number | undefined; ttl: number }> = [];
    for (const [seconds, input] of script) {
      if (seconds > 0) await elapse(redis.client, seconds * 1000);
      const served = await shadow.getOrLoadWithMeta('odds:ars-che', shadowSource.load, input);
      rows.push({
        shadow: served.value.version,
        plain: (await plain.get('odds:ars-che')).version,
        live: (await live.getOrLoad('odds:ars-che', liveSource.load, input)).version,
        tier: served.decision.shadow?.tier,
        ttl: served.decision.ttl,
      });
    }
    expect(rows.map((r) => r.shadow)).toEqual(rows.map((r) => r.plain));
    expect(rows.map((r) => r.shadow)).toEqual([1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    expect(rows.map((r) => r.tier)).toEqual([0, 1, 1, 1, 1, 2, 2, 3, 3, 3, 0]);
    expect(rows.every((r) => r.ttl === BASE_TTL)).toBe(true);
    expect(shadowSource.loads).toBe(plain.source.loads);
    // The live cache does what vix-ttl is for: fresh in tier 1, 5 s in tier 2, 30 s in tier 3 — more loads.
    expect(liveSource.loads).toBeGreaterThan(shadowSource.loads);
    expect(rows.map((r) => r.live)).not.toEqual(rows.map((r) => r.shadow));
    // The events carry what was served (the base TTL) and the decision that would have applied.
    const tier1Hit = events.find((e) => e.type === 'hit' && e.decision.shadow?.tier === 1);
    expect(tier1Hit).toMatchObject({ decision: { ttl: 60, tier: 0, shadow: { ttl: 0, tier: 1, mode: 'PANIC_FULL' } } });
  });

  it('entries written in shadow mode live as long as the base TTL says, whatever the tier (Redis PTTL)', async () => {
    const cache = new AdaptiveCache({ breaker: breakerOnRedis(), store: new RedisCacheStore(redis.client), timeoutMs: 5000, shadow: true });
    await cache.getOrLoad('k', async () => 1, panic); // tier 1: a live cache would not store it at all
    const pttl = await redis.client.pttl('vix-ttl:cache:k');
    expect(pttl).toBeGreaterThan(55_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
  });

  it('fail-safe in shadow mode: with Redis paused the shadow says failSafe, the caller is served as without vix-ttl', async () => {
    const store = new MemoryCacheStore(); // the cache's own store stays up: only the panic clock fails
    const clockClient = redis.server.client({ maxRetriesPerRequest: null, enableOfflineQueue: true });
    await clockClient.ping();
    const breaker = new VixCircuitBreaker({ clock: new RedisPanicClock(clockClient, { timeoutMs: 50 }), timeoutMs: 50, syncIntervalMs: 0 });
    const cache = new AdaptiveCache({ breaker, store, shadow: true });
    await cache.getOrLoad('k', async () => 'calm value', calm);
    redis.server.pause();
    try {
      const served = await cache.getOrLoadWithMeta('k', async () => 'reloaded', panic);
      // store_timeout, or on a loaded machine store_busy: the calm observation above, answered after its 50 ms, may still be out.
      expect(served).toMatchObject({ value: 'calm value', status: 'hit', decision: { ttl: 60, failSafe: false, shadow: { ttl: 0, failSafe: true, reason: expect.stringMatching(/^store_(timeout|busy)$/) } } });
    } finally {
      redis.server.resume();
    }
  });

  it('shadow must be a boolean', () => {
    const make = () => new AdaptiveCache({ breaker: new VixCircuitBreaker({ clock: null }), store: new MemoryCacheStore(), shadow: 1 as unknown as boolean });
    expect(make).toThrow(InvalidConfigError);
    expect(make).toThrow(/AdaptiveCache\.shadow/);
  });
});
