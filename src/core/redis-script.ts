import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { InvalidConfigError } from './errors.js';

/** An ioredis client: a single node (`Redis`) or a cluster (`Cluster`). */
export type RedisClient = Redis | Cluster;

/**
 * A Lua script on one key (or several of one hash slot), run by its SHA (`EVALSHA`, one round trip) and sent
 * whole (`EVAL`) only when the server does not know it yet: after a restart or a
 * failover, or on a cluster node that has not seen it.
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

/** @throws InvalidConfigError unless `redis` is an ioredis `Redis` or `Cluster` client. */
export function assertRedisClient(redis: unknown): asserts redis is RedisClient {
  const client = redis as Partial<Redis> | null | undefined;
  if (!client || typeof client.evalsha !== 'function' || typeof client.eval !== 'function') {
    throw new InvalidConfigError('redis', 'must be an ioredis Redis or Cluster client');
  }
}
