import { assertRedisClient, RedisScript, type RedisPubSubClient } from '../core/redis-script.js';
import { StoreError } from '../core/errors.js';
import {
  TOMBSTONE_MS,
  type CacheStore,
  type InvalidateTagsOptions,
  type StoreRead,
  type StoreSubscriberHandlers,
  type StoreSubscriberOptions,
  type StoreSubscription,
  type StoreWriteOptions,
  type StoreWriteOutcome,
} from './cache-store.js';
import { READ_SCRIPT, TAG_ADD_SCRIPT, TAG_TAKE_SCRIPT, TOMBSTONE_SCRIPT, UNLOCK_SCRIPT, WRITE_SCRIPT } from './cache-scripts.js';
import { parseStoredValue, tagsSegment } from './entry-format.js';
import { RedisSubscription } from './redis-subscriber.js';

const READ = new RedisScript(READ_SCRIPT);
const WRITE = new RedisScript(WRITE_SCRIPT);
const TOMBSTONE = new RedisScript(TOMBSTONE_SCRIPT);
const TAG_ADD = new RedisScript(TAG_ADD_SCRIPT);
const TAG_TAKE = new RedisScript(TAG_TAKE_SCRIPT);
const UNLOCK = new RedisScript(UNLOCK_SCRIPT);
/** Members of a taken tag set read (and entries tombstoned) per round trip. */
const SCAN_BATCH = 500;

/**
 * A {@link CacheStore} on Redis (an ioredis `Redis` or `Cluster` client). Writes are
 * stamped with Redis `TIME` inside a Lua script and reads return Redis `TIME` in
 * the same round trip, so ages agree across workers and hosts. The value under a
 * key is `<writtenAtMs>:<payload>` (`<writtenAtMs>~<n>~<tags>:<payload>` with tags),
 * with a `PX` expiry; a deleted key holds a tombstone `<ms>!` for two minutes.
 * Each tag has an index (a sorted set) `<namespace>tag:{<tag>}` (see {@link tagIndexKey}); every
 * script touches one key, or keys of one hash slot, so it runs on a Cluster as is.
 *
 * The store adds no timeout of its own: {@link AdaptiveCache} bounds every call.
 */
export class RedisCacheStore implements CacheStore {
  readonly kind = 'redis';
  readonly shared = true;
  readonly #redis: RedisPubSubClient;

  /** @throws InvalidConfigError when `redis` is not an ioredis client. */
  constructor(redis: RedisPubSubClient) {
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
    const parsed = parseStoredValue(raw, nowMs);
    if (parsed.kind === 'entry') return { entry: parsed.entry, nowMs, corrupt: null };
    return { entry: null, nowMs, corrupt: parsed.kind === 'tombstone' ? null : 'unparsable' };
  }

  async write(key: string, payload: string, expiryMs: number, options: StoreWriteOptions = {}): Promise<StoreWriteOutcome> {
    if (!Number.isInteger(expiryMs) || expiryMs < 1) throw new StoreError(`expiry must be a whole number of ms ≥ 1, got ${expiryMs}`);
    const loadedAfter = options.loadedAfterMs === undefined ? '' : String(Math.floor(options.loadedAfterMs));
    const tagKeys = options.tagKeys ?? [];
    if (tagKeys.length > 0) {
      // Indexed first: a crash between the two leaves a member without an entry (harmless), never an entry its tag cannot find.
      const args = [key, String(expiryMs), loadedAfter, String(TOMBSTONE_MS)];
      const replies = await Promise.all(tagKeys.map((tagKey) => TAG_ADD.runKeys(this.#redis, [tagKey, `${tagKey}:inv`], args)));
      for (const reply of replies) {
        if (reply === 'invalidated') return { written: false, reason: 'invalidated' };
        if (reply !== 'ok') throw new StoreError(`unexpected reply from the tag index script: ${JSON.stringify(reply)?.slice(0, 80)}`);
      }
    }
    const reply = await WRITE.run(this.#redis, key, [payload, String(expiryMs), loadedAfter, tagsSegment(options.tags), String(TOMBSTONE_MS)]);
    if (!Array.isArray(reply)) throw new StoreError(`unexpected reply from the cache write script: ${JSON.stringify(reply)?.slice(0, 80)}`);
    if (reply[0] === 'ok') return { written: true, writtenAtMs: Number(reply[1]) };
    if (reply[0] === 'invalidated' || reply[0] === 'too_old') return { written: false, reason: reply[0] };
    throw new StoreError(`unexpected reply from the cache write script: ${JSON.stringify(reply).slice(0, 80)}`);
  }

  async delete(key: string): Promise<boolean> {
    return (await TOMBSTONE.run(this.#redis, key, [String(TOMBSTONE_MS)])) === 1;
  }

  async invalidateTags(tagKeys: readonly string[], id: string, options: InvalidateTagsOptions = {}): Promise<number> {
    const { keyPrefix = '', onForeign, resume = false } = options;
    let removed = 0;
    let handled = 0;
    for (const tagKey of tagKeys) {
      const scratch = `${tagKey}:x:${id}`;
      const moved = Number(await TAG_TAKE.runKeys(this.#redis, [tagKey, `${tagKey}:inv`, scratch], [id, String(TOMBSTONE_MS)]));
      if (moved === -1) handled += 1;
      // A retry finishes what its first attempt moved aside (the scratch set is still there if it stopped midway).
      if (!(moved > 0) && !(moved === -1 && resume)) continue;
      let cursor = '0';
      do {
        const [next, pairs] = await this.#redis.zscan(scratch, cursor, 'COUNT', SCAN_BATCH);
        cursor = next;
        const members: string[] = [];
        for (let i = 0; i < pairs.length; i += 2) {
          const member = pairs[i]!;
          if (member.startsWith(keyPrefix)) members.push(member);
          else onForeign?.(member); // never overwrite a key the cache does not own
        }
        await Promise.all(members.map((member) => TOMBSTONE.run(this.#redis, member, [String(TOMBSTONE_MS)])));
        removed += members.length;
      } while (cursor !== '0');
      await this.#redis.del(scratch);
    }
    return !resume && handled === tagKeys.length && tagKeys.length > 0 ? -1 : removed;
  }

  async tryLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.#redis.set(key, token, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK';
  }

  async unlock(key: string, token: string): Promise<void> {
    await UNLOCK.run(this.#redis, key, [token]);
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.#redis.publish(channel, message);
  }

  subscribe(channels: readonly string[], handlers: StoreSubscriberHandlers, options: StoreSubscriberOptions): StoreSubscription {
    return new RedisSubscription(this.#redis, channels, handlers, options);
  }
}
