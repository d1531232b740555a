import { createHash } from 'node:crypto';
import { InvalidConfigError } from './errors.js';

/**
 * The Redis commands vix-ttl sends, typed by their shape rather than by a class of one
 * ioredis version: an ioredis 5 or 6 `Redis` or `Cluster` fits whatever its reply
 * mapping, and so does any other client with these five methods returning promises.
 * Replies are read as `unknown` and checked (strings, Buffers, numbers or a RESP3 map).
 */
export interface RedisClient {
  /** `EVALSHA sha numkeys ...keys-and-args`. */
  evalsha(sha1: string, numkeys: number, ...args: string[]): Promise<unknown>;
  /** `EVAL script numkeys ...keys-and-args`, when the server does not know the script. */
  eval(script: string, numkeys: number, ...args: string[]): Promise<unknown>;
  /** `DEL key`: 1 when it existed. */
  del(key: string): Promise<number>;
  /** `SET key value PX ms NX`: `'OK'`, or null when the key exists. */
  set(key: string, value: string, millisecondsToken: 'PX', milliseconds: number, nx: 'NX'): Promise<'OK' | null>;
  /** `CONFIG GET parameter`: a flat `[name, value]` array, or a map under RESP3 reply mapping. */
  config(subcommand: 'GET', parameter: string): Promise<unknown>;
  /**
   * True for a Redis Cluster client (ioredis sets it on `Cluster`, false on `Redis`):
   * the clock then splits a batch by hash slot. Absent means a single node.
   */
  readonly isCluster?: boolean | undefined;
}

/**
 * A {@link RedisClient} that also publishes and walks sorted sets: what the cache
 * store (tags, the bus) and the market-change publisher send besides scripts.
 */
export interface RedisPubSubClient extends RedisClient {
  /** `PUBLISH channel message`: the number of subscribers that received it. */
  publish(channel: string, message: string): Promise<number>;
  /** `ZSCAN key cursor COUNT n`: the next cursor and a flat `[member, score, …]` array. */
  zscan(key: string, cursor: string, countToken: 'COUNT', count: number): Promise<[cursor: string, elements: string[]]>;
}

/** The methods of {@link RedisClient}, checked at construction. */
const CLIENT_METHODS = ['evalsha', 'eval', 'del', 'set', 'config'] as const;

/**
 * A Lua script on one key (or several of one hash slot), run by its SHA (`EVALSHA`,
 * one round trip) and sent whole (`EVAL`) only when the server does not know it yet:
 * after a restart or a failover, or on a cluster node that has not seen it.
 */
export class RedisScript {
  readonly lua: string;
  readonly sha: string;

  constructor(lua: string) {
    this.lua = lua;
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(redis: RedisClient, key: string, args: readonly string[]): Promise<unknown> {
    return this.runKeys(redis, [key], args);
  }

  /** Runs the script on several keys; on a Cluster they must share one hash slot (a `{hash tag}`). */
  async runKeys(redis: RedisClient, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.lua, keys.length, ...keys, ...args);
    }
  }
}

/** @throws InvalidConfigError unless `redis` has the methods of {@link RedisClient} (an ioredis `Redis` or `Cluster` has them). */
export function assertRedisClient(redis: unknown): asserts redis is RedisClient {
  const client = redis as Record<string, unknown> | null | undefined;
  const missing = typeof client === 'object' && client !== null ? CLIENT_METHODS.filter((method) => typeof client[method] !== 'function') : CLIENT_METHODS;
  if (missing.length > 0) {
    throw new InvalidConfigError('redis', `must be an ioredis Redis or Cluster client (5 or 6), or a client with ${CLIENT_METHODS.join(', ')}; missing ${missing.join(', ')}`);
  }
}
