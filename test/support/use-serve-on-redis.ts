import { afterAll, beforeAll } from 'vitest';
import { eventually, httpRequest } from '../server/http-helpers.js';
import { alive, serve, type ServeProcess } from '../server/serve-process.js';
import { freePort } from './free-port.js';
import { useRedisServer, type RedisServerInUse } from './use-redis-server.js';

/** A real `vix-ttl serve` process on a real redis-server, both owned by the enclosing `describe` (fields set by `beforeAll`). */
export interface ServeOnRedisInUse extends RedisServerInUse {
  /** The process (its JSON log lines, its exit), ready (`/readyz` 200) before the first test and killed after the last. */
  service: ServeProcess;
  /** Its origin, `http://127.0.0.1:<port>`. */
  base: string;
}

/** How {@link useServeOnRedis} starts its server and its process. */
export interface ServeOnRedisOptions {
  /** Flags of `vix-ttl serve` besides `--redis` and `--port`. */
  args?: string[];
  /** The process's environment on top of the test's own. */
  env?: NodeJS.ProcessEnv;
  /** Extra redis-server flags. */
  redisArgs?: string[];
}

/** How long the process may take to answer `/readyz` 200: starting it on a loaded 2-core machine is not the subject. */
const READY_WITHIN_MS = 30_000;

/**
 * Starts a redis-server ({@link useRedisServer}), then `vix-ttl serve --redis <it>
 * --port <free port> …args` (the built binary, {@link serve}) and waits until it
 * answers `GET /readyz` 200, for the `describe` it is called in; after its last test
 * the process is SIGKILLed (whatever state a test left it in), then the server stopped.
 * For claims about the service as it is deployed: a real process on a real Redis.
 */
export function useServeOnRedis(options: ServeOnRedisOptions = {}): ServeOnRedisInUse {
  const inUse = useRedisServer({ args: options.redisArgs }) as ServeOnRedisInUse;
  beforeAll(async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    inUse.base = base;
    inUse.service = serve(['--redis', inUse.server.url, '--port', String(port), ...(options.args ?? [])], options.env);
    await eventually(async () => (await httpRequest(`${base}/readyz`).catch(() => ({ status: 0 }))).status === 200, READY_WITHIN_MS, 'serve ready');
  }, 2 * READY_WITHIN_MS);
  // Registered after the server's hooks: Vitest runs after-hooks in reverse, so the process is killed first.
  afterAll(() => {
    const child = inUse.service?.child;
    if (child === undefined) return;
    if (child.exitCode === null) child.kill('SIGKILL');
    if (child.pid !== undefined && alive(child.pid)) process.kill(child.pid, 'SIGKILL');
  });
  return inUse;
}
