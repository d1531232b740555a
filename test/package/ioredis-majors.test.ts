import { createRequire } from 'node:module';
import { Redis as Redis5 } from 'ioredis5';
import { Redis as Redis6 } from 'ioredis6';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdaptiveCache, RedisCacheStore, RedisPanicClock, VixCircuitBreaker, type RedisPubSubClient } from '../../src/index.js';
import { cacheStoreContract } from '../contracts/cache-store.contract.js';
import { panicClockContract } from '../contracts/panic-clock.contract.js';
import { advanceRedis, cacheStoreValueAged } from '../support/redis-time-machine.js';
import { untilDecided } from '../support/until-settled.js';
import { useRedisServer } from '../support/use-redis-server.js';

// ioredis is a peer dependency, 5 or 6. ioredis 6 speaks RESP3 by default and can map
// RESP3 replies to JS maps and numbers (`replyMapping: 'resp3'`); the clock and the cache
// store must keep their whole contracts with each client, from the real packages
// (devDependencies ioredis5 and ioredis6, npm aliases of ioredis@^5 and ioredis@^6).

const KEY = 'brain:panic_start_ts';
const require = createRequire(import.meta.url);
const PANIC = { baseTtl: 60, vixStatus: 'panic', match: { league: 'Ligue 1' } } as const;
/** A fail-safe decision during an outage comes back within timeoutMs (50) plus a margin that holds on a loaded machine. */
const BOUND_MS = 1000;

const CLIENTS: Array<{ name: string; major: 5 | 6; connect(port: number): RedisPubSubClient & { disconnect(): void; on(event: 'error', listener: () => void): unknown } }> = [
  { name: 'ioredis 5', major: 5, connect: (port) => new Redis5({ host: '127.0.0.1', port }) },
  { name: 'ioredis 6 (RESP3, its default "legacy" reply mapping)', major: 6, connect: (port) => new Redis6({ host: '127.0.0.1', port }) },
  { name: 'ioredis 6 (RESP3, replyMapping "resp3")', major: 6, connect: (port) => new Redis6({ host: '127.0.0.1', port, replyMapping: 'resp3' }) },
  { name: 'ioredis 6 (RESP2)', major: 6, connect: (port) => new Redis6({ host: '127.0.0.1', port, protocol: 2 }) },
];

/** The redis-server of every client below; its `client` (dev ioredis) is the test's own hands on the store: resets, corrupt values, time travel. */
const redis = useRedisServer();

it('the aliases are the real packages of each major', () => {
  expect(require('ioredis5/package.json')).toMatchObject({ name: 'ioredis', version: expect.stringMatching(/^5\./) });
  expect(require('ioredis6/package.json')).toMatchObject({ name: 'ioredis', version: expect.stringMatching(/^6\./) });
});

for (const { name, major, connect } of CLIENTS) {
  describe(name, () => {
    let client: ReturnType<typeof connect>;
    beforeAll(() => {
      client = connect(redis.server.port);
      client.on('error', () => {});
    });
    afterAll(() => client.disconnect());

    it(`is a client of ioredis ${major}'s own copy`, () => {
      expect(client).toBeInstanceOf(major === 5 ? Redis5 : Redis6);
      expect(client).not.toBeInstanceOf(major === 5 ? Redis6 : Redis5);
    });

    panicClockContract(`RedisPanicClock on ${name}`, {
      clock: (options) => new RedisPanicClock(client, { timeoutMs: 5000, ...options }),
      advance: (ms) => advanceRedis(redis.client, ms, (value) => (Number(value) >= 1e9 ? (Number(value) - ms / 1000).toFixed(6) : null)),
      reset: async () => void (await redis.client.flushall()),
      corrupt: async (scope, kind) => {
        const key = scope === undefined ? KEY : `${KEY}:${scope}`;
        const [seconds] = await redis.client.time();
        const values: Record<string, () => Promise<unknown>> = {
          garbage: () => redis.client.set(key, 'garbage'),
          empty: () => redis.client.set(key, ''),
          nan: () => redis.client.set(key, 'nan'),
          negative: () => redis.client.set(key, '-5'),
          zero: () => redis.client.set(key, '0'),
          infinite: () => redis.client.set(key, 'inf'),
          'hex float': () => redis.client.set(key, '0x1.9p30'),
          'far future': () => redis.client.set(key, String(Number(seconds) + 10 * 365 * 86_400)),
          'a hash': () => redis.client.hset(key, 'start', '1700000000'),
          'a list': () => redis.client.rpush(key, '1700000000'),
        };
        await values[kind]!();
      },
    });

    cacheStoreContract(`RedisCacheStore on ${name}`, {
      store: () => new RedisCacheStore(client),
      advance: (ms) => advanceRedis(redis.client, ms, cacheStoreValueAged(ms)),
      reset: async () => void (await redis.client.flushall()),
    });

    it("reads Redis's maxmemory-policy, whatever the shape of the CONFIG GET reply", async () => {
      const clock = new RedisPanicClock(client, { timeoutMs: 5000 });
      try {
        expect(await clock.evictionPolicy()).toEqual({ policy: 'noeviction', canEvictPanicStarts: false, detail: null });
        await redis.client.config('SET', 'maxmemory-policy', 'allkeys-lru');
        expect(await clock.evictionPolicy()).toEqual({ policy: 'allkeys-lru', canEvictPanicStarts: true, detail: null });
      } finally {
        await redis.client.config('SET', 'maxmemory-policy', 'noeviction');
      }
    });

    it('the adaptive cache coalesces and serves through this client', async () => {
      await redis.client.flushall();
      const breaker = new VixCircuitBreaker({ clock: new RedisPanicClock(client, { timeoutMs: 5000 }), timeoutMs: 5000 });
      const cache = new AdaptiveCache({ breaker, store: new RedisCacheStore(client), timeoutMs: 5000 });
      let loads = 0;
      const load = async () => {
        loads += 1;
        await new Promise((r) => setTimeout(r, 50));
        return { odds: 2.5 };
      };
      const input = { baseTtl: 60, vixStatus: 'calm', scope: 'ligue-1' } as const;
      const values = await Promise.all(Array.from({ length: 10 }, () => cache.getOrLoad('odds:1', load, input)));
      expect(values).toEqual(Array.from({ length: 10 }, () => ({ odds: 2.5 })));
      expect(loads).toBe(1);
      expect(await cache.getOrLoadWithMeta('odds:1', load, input)).toMatchObject({ value: { odds: 2.5 }, status: 'hit' });
      expect(loads).toBe(1);
      await breaker.close();
    });

    it(`a paused redis-server: a panic decision is fail-safe in under ${BOUND_MS} ms, then recovers`, async () => {
      const breaker = new VixCircuitBreaker({ clock: new RedisPanicClock(client, { timeoutMs: 50 }), syncIntervalMs: 0, timeoutMs: 50 });
      try {
        const warm = await untilDecided(() => breaker.getTtl(PANIC)); // the script is loaded before the fault
        expect(warm.failSafe).toBe(false);
        redis.server.pause();
        const started = performance.now();
        const decision = await breaker.getTtl(PANIC);
        const ms = performance.now() - started;
        redis.server.resume();
        expect(decision).toMatchObject({ ttl: 0, mode: 'PANIC_FULL', tier: 1, failSafe: true });
        expect(ms).toBeLessThan(BOUND_MS);
        let after = await breaker.getTtl(PANIC);
        for (let i = 0; i < 300 && after.failSafe; i += 1) {
          await new Promise((r) => setTimeout(r, 50));
          after = await breaker.getTtl(PANIC);
        }
        expect(after).toMatchObject({ tier: 1, failSafe: false });
      } finally {
        redis.server.resume();
        await breaker.close();
      }
    });
  });
}
