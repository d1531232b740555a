import { assertRedisClient, RedisScript, type RedisClient } from '../core/redis-script.js';
import { StoreError } from '../core/errors.js';
import type { CacheStore, StoreRead, StoredEntry } from './cache-store.js';
import { READ_SCRIPT, UNLOCK_SCRIPT, WRITE_SCRIPT } from './cache-scripts.js';

const READ = new RedisScript(READ_SCRIPT);
const WRITE = new RedisScript(WRITE_SCRIPT);
const UNLOCK = new RedisScript(UNLOCK_SCRIPT);
const STAMP = /^(\d{1,16}):/;
/** A stamp further than this in Redis's future was not written by this store. */
const MAX_FUTURE_MS = 300_000;

/**
 * A {@link CacheStore} on Redis (an ioredis `Redis` or `Cluster` client). Writes are
 * stamped with Redis `TIME` inside a Lua script and reads return Redis `TIME` in
 * the same round trip, so ages agree across workers and hosts. The value under a
 * key is `<writtenAtMs>:<payload>`, with a `PX` expiry.
 *
 * The store adds no timeout of its own: {@link AdaptiveCache} bounds every call.
 */
export class RedisCacheStore implements CacheStore {
  readonly kind = 'redis';
  readonly shared = true;
  readonly #redis: RedisClient;

  /** @throws InvalidConfigError when `redis` is not an ioredis client. */
  constructor(redis: RedisClient) {
    assertRedisClient(redis);
    this.#redis = redis;
  }

  async read(key: string): Promise<StoreRead> {
    const reply = await READ.run(this.#redis, key, []);
    if (!Array.isArray(reply) || reply.length !== 4) throw new StoreError(`unexpected reply from the cache read script: ${JSON.stringify(reply)?.slice(0, 80)}`);
    const [state, raw, seconds, micros] = reply.map((v: unknown) => (v === null ? '' : String(v))) as [string, string, string, string];
    const nowMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    if (!Number.isFinite(nowMs)) throw new StoreError(`unexpected time in a Redis reply: ${JSON.stringify([seconds, micros])}`);
    if (state === 'none') return { entry: null, nowMs, corrupt: null };
    if (state === 'wrong_type') return { entry: null, nowMs, corrupt: `wrong_type:${raw}` };
    const entry = parseEntry(raw, nowMs);
    return entry ? { entry, nowMs, corrupt: null } : { entry: null, nowMs, corrupt: 'unparsable' };
  }

  async write(key: string, payload: string, expiryMs: number): Promise<void> {
    if (!Number.isInteger(expiryMs) || expiryMs < 1) throw new StoreError(`expiry must be a whole number of ms ≥ 1, got ${expiryMs}`);
    await WRITE.run(this.#redis, key, [payload, String(expiryMs)]);
  }

  async delete(key: string): Promise<boolean> {
    return (await this.#redis.del(key)) === 1;
  }

  async tryLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.#redis.set(key, token, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK';
  }

  async unlock(key: string, token: string): Promise<void> {
    await UNLOCK.run(this.#redis, key, [token]);
  }

}

/** Splits `<writtenAtMs>:<payload>`; null for anything this store did not write. */
function parseEntry(raw: string, nowMs: number): StoredEntry | null {
  const match = STAMP.exec(raw);
  if (!match) return null;
  const writtenAtMs = Number(match[1]);
  if (writtenAtMs > nowMs + MAX_FUTURE_MS) return null;
  return { writtenAtMs, payload: raw.slice(match[0].length) };
}
