import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdaptiveCache, RedisCacheStore, RedisPanicClock, VixCircuitBreaker } from '../../src/index.js';
import { DelayProxy } from '../support/delay-proxy.js';
import { RedisServer } from '../support/redis-server.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a slow Redis (round trips longer than the breaker timeout) in publisher mode', () => {
  let server: RedisServer;
  let proxy: DelayProxy;
  let admin: Redis;

  beforeAll(async () => {
    server = await RedisServer.start();
    proxy = await DelayProxy.start(server.port);
    admin = server.client();
  });
  afterAll(async () => {
    await proxy.close();
    await server.stop();
  });

  it('a copy is never served by a decision the clock did not confirm: a panic started meanwhile cannot be hidden behind the last known calm', async () => {
    const redis = server.client({ port: proxy.port });
    // Defaults that matter: breaker timeoutMs 50, syncIntervalMs 100; the bus pings within 1 s, so it stays healthy at 300 ms round trips.
    const breaker = new VixCircuitBreaker({ clock: new RedisPanicClock(redis) });
    const cache = new AdaptiveCache({ breaker, store: new RedisCacheStore(redis), l1: { max: 100 } });
    try {
      expect(await cache.ready()).toBe(true);
      const input = { baseTtl: 60, match: { league: 'Ligue 1' } };
      let price = 1.85;
      const load = () => ({ price });
      expect((await cache.getOrLoadWithMeta('odds:psg-om', load, input)).decision.ttl).toBe(60);
      expect((await cache.getOrLoadWithMeta('odds:psg-om', load, input)).l1).toBe(true); // the copy is there
      proxy.delayMs = 150;
      await admin.set('brain:panic_start_ts', String(Date.now() / 1000), 'EX', 86_400); // another process starts the panic
      price = 3.1;
      const served: Array<{ l1: boolean; price: number }> = [];
      for (const wait of [300, 700, 1200]) {
        await sleep(wait);
        const result = await cache.getOrLoadWithMeta('odds:psg-om', load, input);
        served.push({ l1: result.l1, price: result.value.price });
        expect(cache.l1Active).toBe(true); // the bus is healthy: only the breaker's knowledge is stale
      }
      // Every read bypassed the copy: the store read timed out too, and the loader gave the current odds.
      expect(served).toEqual([
        { l1: false, price: 3.1 },
        { l1: false, price: 3.1 },
        { l1: false, price: 3.1 },
      ]);
      expect(breaker.isSynced()).toBe(false);
      proxy.delayMs = 0;
      await sleep(200);
      const after = await cache.getOrLoadWithMeta('odds:psg-om', load, input);
      expect(after.decision.mode).toBe('PANIC_FULL'); // once Redis answers in time the panic is seen
      expect(breaker.isSynced()).toBe(true);
    } finally {
      await cache.close();
      redis.disconnect();
    }
  });
});
