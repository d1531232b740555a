import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RedisClient } from '../clock/redis-panic-clock.js';
import { InvalidConfigError, StoreError } from '../errors.js';
import type { CacheStore, StoreRead, StoredEntry } from './cache-store.js';
import { READ_SCRIPT, UNLOCK_SCRIPT, WRITE_SCRIPT } from './cache-scripts.js';

const READ_SHA = sha1(READ_SCRIPT);
const WRITE_SHA = sha1(WRITE_SCRIPT);
const UNLOCK_SHA = sha1(UNLOCK_SCRIPT);
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
    if (!redis || typeof (redis as Redis).evalsha !== 'function' || typeof (redis as Redis).eval !== 'function') {
      throw new InvalidConfigError('redis', 'must be an ioredis Redis or Cluster client');
    }
    this.#redis = redis;
  }

  async read(key: string): Promise<StoreRead> {
    const reply = await this.#script(READ_SCRIPT, READ_SHA, key, []);
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
    await this.#script(WRITE_SCRIPT, WRITE_SHA, key, [payload, String(expiryMs)]);
  }

  async delete(key: string): Promise<boolean> {
    return (await this.#redis.del(key)) === 1;
  }

  async tryLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.#redis.set(key, token, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK';
  }

  async unlock(key: string, token: string): Promise<void> {
    await this.#script(UNLOCK_SCRIPT, UNLOCK_SHA, key, [token]);
  }

  async #script(script: string, sha: string, key: string, args: string[]): Promise<unknown> {
    try {
      return await this.#redis.evalsha(sha, 1, key, ...args);
    } catch (error) {
      if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error;
      return this.#redis.eval(script, 1, key, ...args);
    }
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

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}
