import type { Redis } from 'ioredis';

/**
 * Moves a Redis database `ms` forward in time as its keys see it: each expiry is
 * shortened by `ms` (a key whose expiry passes is deleted, as Redis would) and each
 * string value is passed to `rewrite`, which returns it with its timestamps `ms`
 * earlier (or null to keep it). Redis's own clock cannot be moved, so the store's
 * state is moved instead: a contract test can then pass minutes or hours on Redis
 * as it does on an injected clock, without waiting.
 */
export async function advanceRedis(redis: Redis, ms: number, rewrite: (value: string) => string | null): Promise<void> {
  for (const key of await redis.keys('*')) {
    const pttl = await redis.pttl(key);
    if (pttl >= 0 && pttl - ms <= 0) {
      await redis.del(key);
      continue;
    }
    if ((await redis.type(key)) === 'string') {
      const value = await redis.get(key);
      const moved = value === null ? null : rewrite(value);
      if (moved !== null) await redis.set(key, moved, 'KEEPTTL');
    }
    if (pttl >= 0) await redis.pexpire(key, pttl - ms);
  }
}

/**
 * The `rewrite` of {@link advanceRedis} for a RedisCacheStore's values: entries are
 * `<writtenAtMs>:<payload>` or `<writtenAtMs>~<n>~<tags>:<payload>`, tombstones
 * `<ms>!`, tag tombstones `<ms>:<id>`; locks hold a token and only age by their expiry.
 */
export function cacheStoreValueAged(ms: number): (value: string) => string | null {
  return (value) => {
    const tombstone = /^(\d{1,16})!$/.exec(value);
    if (tombstone) return `${Number(tombstone[1]) - ms}!`;
    const stamp = /^(\d{1,16})(?=[:~])/.exec(value);
    return stamp ? `${Number(stamp[1]) - ms}${value.slice(stamp[0].length)}` : null;
  };
}
