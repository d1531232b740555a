import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdaptiveCache, RedisCacheStore, RedisPanicClock, VixCircuitBreaker, type CacheEvent } from '../../src/index.js';
import { RedisServer } from '../support/redis-server.js';

const PANIC = { baseTtl: 60, vixStatus: 'panic', match: { league: 'Ligue 1' } } as const;
const CALM = { baseTtl: 60, vixStatus: 'calm', match: { league: 'Ligue 1' } } as const;
const TIMEOUT_MS = 50; // the subject: how long the cache waits for a failed Redis
// What a call may take during the outage: the timeout, the 5 ms loader, and a margin for a loaded
// 2-core machine (20× the timeout). Without the timeout a paused Redis never answers, and ioredis
// retries a killed one for seconds, so the bound still tells a bounded call from a waiting one.
const BOUND_MS = 1000;

async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await work;
  return { value, ms: performance.now() - start };
}

describe.each([
  ['paused (SIGSTOP)', 'pause'],
  ['killed (SIGKILL)', 'kill'],
] as const)('redis-server %s: the cache fails open within timeoutMs', (_label, fault) => {
  let server: RedisServer;
  let redis: Redis;
  let cache: AdaptiveCache;
  let loads = 0;
  const events: CacheEvent[] = [];
  const loader = async () => {
    loads += 1;
    await new Promise((r) => setTimeout(r, 5));
    return { odds: 2.5, load: loads };
  };

  beforeAll(async () => {
    server = await RedisServer.start();
    redis = server.client();
    const breaker = new VixCircuitBreaker({ clock: new RedisPanicClock(redis, { timeoutMs: TIMEOUT_MS }), syncIntervalMs: 0, timeoutMs: TIMEOUT_MS });
    cache = new AdaptiveCache({ breaker, store: new RedisCacheStore(redis), timeoutMs: TIMEOUT_MS, hooks: { onCacheEvent: (e) => events.push(e) } });
    // The setup only checks that Redis serves the entry before the fault, through the same store with a
    // generous timeout: the 50 ms one is the tests' subject, not the setup's.
    const before = new AdaptiveCache({ breaker: new VixCircuitBreaker({ clock: new RedisPanicClock(redis, { timeoutMs: 5000 }), syncIntervalMs: 0, timeoutMs: 5000 }), store: new RedisCacheStore(redis), timeoutMs: 5000 });
    expect((await before.getOrLoadWithMeta('odds', loader, CALM)).status).toBe('miss');
    expect((await before.getOrLoadWithMeta('odds', loader, CALM)).status).toBe('hit');
    if (fault === 'pause') server.pause();
    else await server.kill();
  });
  afterAll(async () => server.stop());

  it(`a panic read calls the loader and returns its value in under ${BOUND_MS} ms`, async () => {
    const before = loads;
    const { value, ms } = await timed(cache.getOrLoadWithMeta('odds', loader, PANIC));
    expect(loads).toBe(before + 1);
    expect(value.value.load).toBe(loads);
    expect(value.status).toBe('miss');
    expect(['timeout', 'busy', 'error']).toContain(value.storeFailure);
    expect(value.decision).toMatchObject({ ttl: 0, failSafe: true }); // the TTL side fails safe
    expect(ms).toBeLessThan(BOUND_MS);
  });

  it('every call during the outage (calm or panic, any key) stays bounded and none throws', async () => {
    for (let i = 0; i < 20; i += 1) {
      const { value, ms } = await timed(cache.getOrLoadWithMeta(`odds:${i % 3}`, loader, i % 2 ? PANIC : CALM));
      expect(value.value.odds).toBe(2.5);
      expect(value.storeFailure).not.toBeNull();
      expect(ms).toBeLessThan(BOUND_MS);
    }
    expect(events.some((e) => e.type === 'store_error' && e.operation === 'read')).toBe(true);
  });

  it('concurrent reads during the outage still share one loader call per key', async () => {
    const before = loads;
    const results = await Promise.all(Array.from({ length: 50 }, () => cache.getOrLoad('odds:burst', loader, PANIC)));
    expect(loads).toBe(before + 1);
    expect(new Set(results.map((r) => r.load)).size).toBe(1);
  });

  it('serves from Redis again once it is back', async () => {
    if (fault === 'pause') server.resume();
    else await server.restart();
    const deadline = Date.now() + 15_000;
    let status = '';
    while (Date.now() < deadline && status !== 'hit') {
      status = (await cache.getOrLoadWithMeta('odds:after', loader, CALM)).status;
      if (status !== 'hit') await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe('hit');
  });
});
