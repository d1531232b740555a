import { afterAll, beforeAll } from 'vitest';
import { RedisPanicClock } from '../../src/clock/redis-panic-clock.js';
import { createServer, type VixTtlServer, type VixTtlServerOptions } from '../../src/server/http/create-server.js';
import { useRedisServer, type RedisServerInUse } from './use-redis-server.js';

/** The service in the test's process, listening on loopback, its panic clock on a real redis-server the enclosing `describe` owns (fields set by `beforeAll`). */
export interface ServiceOnRedisInUse extends RedisServerInUse {
  /** The service (`createServer`), listening before the first test and closed after the last. */
  service: VixTtlServer;
  /** Its origin, `http://127.0.0.1:<port>`. */
  base: string;
}

/** The service's options but its clock, which is a `RedisPanicClock` of its own on the fixture's server with this store timeout (ms). */
export type ServiceOnRedisOptions = Omit<VixTtlServerOptions, 'clock'> & { clockTimeoutMs: number };

/**
 * Starts a redis-server ({@link useRedisServer}), then `createServer` with a
 * `RedisPanicClock` on it (a connection of its own) and the given options, listening
 * on a free loopback port, for the `describe` it is called in; after its last test the
 * service is closed, then the server stopped. For tests of the whole HTTP service on a
 * real Redis that also read its insides (`service.vix`).
 */
export function useServiceOnRedis(options: ServiceOnRedisOptions): ServiceOnRedisInUse {
  const inUse = useRedisServer() as ServiceOnRedisInUse;
  beforeAll(async () => {
    const { clockTimeoutMs, ...serverOptions } = options;
    inUse.service = await createServer({ ...serverOptions, clock: new RedisPanicClock(inUse.server.client(), { timeoutMs: clockTimeoutMs }) });
    await inUse.service.app.listen({ port: 0, host: '127.0.0.1' });
    inUse.base = inUse.service.app.listeningOrigin;
  });
  // Registered after the server's hooks: Vitest runs after-hooks in reverse, so the service closes first.
  afterAll(async () => {
    await inUse.service?.app.close();
  });
  return inUse;
}
