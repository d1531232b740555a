import { afterAll, beforeAll } from 'vitest';
import { startWorkers, stopWorkers, type Worker } from './spawn-workers.js';
import { useRedisServer, type RedisServerInUse } from './use-redis-server.js';

/** Real worker processes on a real redis-server that the enclosing `describe` owns (fields set by `beforeAll`). */
export interface RedisWorkersInUse extends RedisServerInUse {
  /** The processes, each ready (`{ ready: true }`) before the first test. */
  workers: Worker[];
}

/** The start hooks' timeout: starting several tsx processes on a loaded 2-core machine is not the subject. */
const START_TIMEOUT_MS = 60_000;

/**
 * Starts a redis-server ({@link useRedisServer}), then `count` processes of the fixture
 * `test/fixtures/<fixture>` given `args(serverUrl)`, for the `describe` it is called in;
 * after its last test the processes are killed, then the server stopped. The way a
 * multi-process claim is proved: real processes sharing one real Redis.
 */
export function useRedisWorkers(fixture: string, count: number, args: (url: string) => string[] = (url) => [url]): RedisWorkersInUse {
  const inUse = useRedisServer({ hookTimeoutMs: START_TIMEOUT_MS }) as RedisWorkersInUse;
  beforeAll(async () => {
    inUse.workers = await startWorkers(fixture, count, args(inUse.server.url));
  }, START_TIMEOUT_MS);
  // Registered after the server's hooks: Vitest runs after-hooks in reverse, so the processes end first.
  afterAll(() => {
    if (inUse.workers !== undefined) stopWorkers(inUse.workers);
  });
  return inUse;
}
