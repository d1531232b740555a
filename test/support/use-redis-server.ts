import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { RedisServer } from './redis-server.js';

/**
 * A real redis-server that the enclosing `describe` (or file) owns, and the test's own
 * client on it. The fields are set by `beforeAll`: read them inside hooks and tests.
 */
export interface RedisServerInUse {
  /** The server, started before the first test of the block and stopped after its last. */
  server: RedisServer;
  /** A client of the test's own (resets, preset or corrupt values, time reads); closed with the server. */
  client: Redis;
}

/** How {@link useRedisServer} starts its server. */
export interface UseRedisServerOptions {
  /** Extra redis-server flags (`RedisServer.start`'s `args`). */
  args?: string[] | undefined;
  /** `FLUSHALL` before every test of the block, so no test sees another's keys. */
  flushBeforeEach?: boolean | undefined;
  /** The start hook's timeout (ms); the suite's generous default when absent. */
  hookTimeoutMs?: number | undefined;
}

/**
 * Starts a real redis-server (a free loopback port, no persistence) in `beforeAll`
 * and stops it in `afterAll`, for the `describe` it is called in, or the file at top
 * level. Call it where the hooks would be written: every block that had its own
 * server keeps its own, so no block sees another's keys, pauses or kills.
 */
export function useRedisServer(options: UseRedisServerOptions = {}): RedisServerInUse {
  const inUse = {} as RedisServerInUse;
  beforeAll(async () => {
    inUse.server = await RedisServer.start(options.args);
    inUse.client = inUse.server.client();
  }, options.hookTimeoutMs);
  afterAll(async () => inUse.server?.stop());
  if (options.flushBeforeEach === true) beforeEach(async () => void (await inUse.client.flushall()));
  return inUse;
}
