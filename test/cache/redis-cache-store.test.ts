import { describe, expect, it } from 'vitest';
import { InvalidConfigError, RedisCacheStore } from '../../src/index.js';
import { MAX_FUTURE_MS } from '../../src/cache/entry-format.js';
import { cacheStoreContract } from '../contracts/cache-store.contract.js';
import { advanceRedis, cacheStoreValueAged } from '../support/redis-time-machine.js';
import { useRedisServer } from '../support/use-redis-server.js';

const redis = useRedisServer();

cacheStoreContract('RedisCacheStore', {
  store: () => new RedisCacheStore(redis.client),
  advance: (ms) => advanceRedis(redis.client, ms, cacheStoreValueAged(ms)),
  reset: async () => void (await redis.client.flushall()),
});

async function redisNowMs(): Promise<number> {
  const [seconds, micros] = await redis.client.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

describe('RedisCacheStore on a real redis-server', () => {
  it('stores `<writtenAtMs>:<payload>` stamped with Redis TIME, with a PX expiry', async () => {
    const store = new RedisCacheStore(redis.client);
    const [seconds] = await redis.client.time();
    await store.write('k', 'payload', 60_000);
    const [stamp, payload] = (await redis.client.get('k'))!.split(':');
    expect(payload).toBe('payload');
    expect(Number(stamp)).toBeGreaterThanOrEqual(Number(seconds) * 1000);
    expect(await redis.client.pttl('k')).toBeGreaterThan(0);
    expect(await redis.client.pttl('k')).toBeLessThanOrEqual(60_000);
  });

  it.each([
    ['a value without a stamp', (k: string) => redis.client.set(k, 'garbage'), 'unparsable'],
    ['a stamp far in Redis’s future', async (k: string) => redis.client.set(k, `${Date.now() + 10 * 86_400_000}:1`), 'unparsable'],
    ['a stamp 5 s in Redis’s future (a failover to a server whose clock is behind)', async (k: string) => redis.client.set(k, `${(await redisNowMs()) + 5_000}:1`), 'unparsable'],
    ['a tags part longer than the value', (k: string) => redis.client.set(k, '1700000000000~999~a:b'), 'unparsable'],
    ['more tags than an entry may carry (a hostile value)', (k: string) => redis.client.set(k, `1700000000000~${'t\n'.repeat(5000).length - 1}~${'t\n'.repeat(5000).slice(0, -1)}:x`), 'unparsable'],
    ['a list (wrong type)', (k: string) => redis.client.rpush(k, 'a'), 'wrong_type:list'],
    ['a hash (wrong type)', (k: string) => redis.client.hset(k, 'a', '1'), 'wrong_type:hash'],
  ])('%s reads as no entry, reported as corrupt (%s), and is left for the cache to overwrite', async (_label, plant, corrupt) => {
    await redis.client.del('odd');
    await plant('odd');
    expect(await new RedisCacheStore(redis.client).read('odd')).toMatchObject({ entry: null, corrupt });
  });

  it('a stamp ahead of Redis by less than the tolerated skew is an entry of age 0, not older', async () => {
    await redis.client.set('near', `${(await redisNowMs()) + 300}:1`);
    const read = await new RedisCacheStore(redis.client).read('near');
    expect(read.entry?.payload).toBe('1');
    expect(read.entry!.writtenAtMs).toBeLessThanOrEqual(read.nowMs + MAX_FUTURE_MS);
  });

  it('a non-integer expiry is refused (PX takes whole ms)', async () => {
    await expect(new RedisCacheStore(redis.client).write('k', 'v', 1.5)).rejects.toThrow(/expiry/);
  });

  it('refuses something that is not an ioredis client', () => {
    expect(() => new RedisCacheStore({} as never)).toThrow(InvalidConfigError);
  });
});
