import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import { Redis as Redis5 } from 'ioredis5';
import { Redis as Redis6 } from 'ioredis6';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdaptiveCache, RedisCacheStore, RedisPanicClock, VixCircuitBreaker, type RedisPubSubClient } from '../../src/index.js';
import { cacheStoreContract } from '../contracts/cache-store.contract.js';
import { panicClockContract } from '../contracts/panic-clock.contract.js';
import { RedisServer } from '../support/redis-server.js';
import { advanceRedis, cacheStoreValueAged } from '../support/redis-time-machine.js';
import { untilDecided } from '../support/until-settled.js';

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

let server: RedisServer;
/** The test's own hands on the store (dev ioredis): resets, corrupt values, time travel. */
let admin: Redis;
beforeAll(async () => {
  server = await RedisServer.start();
  admin = server.client();
});
afterAll(async () => server.stop());

it('the aliases are the real packages of each major', () => {
  expect(require('ioredis5/package.json')).toMatchObject({ name: 'ioredis', version: expect.stringMatching(/^5\./) });
  expect(require('ioredis6/package.json')).toMatchObject({ name: 'ioredis', version: expect.stringMatching(/^6\./) });
});

for (const { name, major, connect } of CLIENTS) {
  describe(name, () => {
    let client: ReturnType<typeof connect>;
    beforeAll(() => {
      client = connect(server.port);
      client.on('error', () => {});
    });
    afterAll(() => client.disconnect());

    it(`is a client of ioredis ${major}'s own copy`, () => {
      expect(client).toBeInstanceOf(major === 5 ? Redis5 : Redis6);
      expect(client).not.toBeInstanceOf(major === 5 ? Redis6 : Redis5);
    });

    panicClockContract(`RedisPanicClock on ${name}`, {
      clock: (options) => new RedisPanicClock(client, { timeoutMs: 5000, ...options }),
      advance: (ms) => advanceRedis(admin, ms, (value) => (Number(value) >= 1e9 ? (Number(value) - ms / 1000).toFixed(6) : null)),
      reset: async () => void (await admin.flushall()),
      corrupt: async (scope, kind) => {
        const key = scope === undefined ? KEY : `${KEY}:${scope}`;
        const [seconds] = await admin.time();
        const values: Record<string, () => Promise<unknown>> = {
          garbage: () => admin.set(key, 'garbage'),
          empty: () => admin.set(key, ''),
          nan: () => admin.set(key, 'nan'),
          negative: () => admin.set(key, '-5'),
          zero: () => admin.set(key, '0'),
          infinite: () => admin.set(key, 'inf'),
          'hex float': () => admin.set(key, '0x1.9p30'),
          'far future': () => admin.set(key, String(Number(seconds) + 10 * 365 * 86_400)),
          'a hash': () => admin.hset(key, 'start', '1700000000'),
          'a list': () => admin.rpush(key, '1700000000'),
        };
        await values[kind]!();
      },
    });

    cacheStoreContract(`RedisCacheStore on ${name}`, {
      store: () => new RedisCacheStore(client),
      advance: (ms) => advanceRedis(admin, ms, cacheStoreValueAged(ms)),
      reset: async () => void (await admin.flushall()),
    });

    it("reads Redis's maxmemory-policy, whatever the shape of the CONFIG GET reply", async () => {
      const clock = new RedisPanicClock(client, { timeoutMs: 5000 });
      try {
        expect(await clock.evictionPolicy()).toEqual({ policy: 'noeviction', canEvictPanicStarts: false, detail: null });
        await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
        expect(await clock.evictionPolicy()).toEqual({ policy: 'allkeys-lru', canEvictPanicStarts: true, detail: null });
      } finally {
        await admin.config('SET', 'maxmemory-policy', 'noeviction');
      }
    });

    it('the adaptive cache coalesces and serves through this client', async () => {
      await admin.flushall();
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
        server.pause();
        const started = performance.now();
        const decision = await breaker.getTtl(PANIC);
        const ms = performance.now() - started;
        server.resume();
        expect(decision).toMatchObject({ ttl: 0, mode: 'PANIC_FULL', tier: 1, failSafe: true });
        expect(ms).toBeLessThan(BOUND_MS);
        let after = await breaker.getTtl(PANIC);
        for (let i = 0; i < 300 && after.failSafe; i += 1) {
          await new Promise((r) => setTimeout(r, 50));
          after = await breaker.getTtl(PANIC);
        }
        expect(after).toMatchObject({ tier: 1, failSafe: false });
      } finally {
        server.resume();
        await breaker.close();
      }
    });
  });
}
