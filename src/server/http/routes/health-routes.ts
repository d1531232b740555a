import type { FastifyInstance } from 'fastify';
import type { StoreHealth } from '../../state/store-health.js';

/**
 * `GET /healthz`: 200 while the process serves. `GET /readyz`: runs the clock's
 * inspection script with its write check on the store with a short timeout (the
 * path decisions use, so a Redis that answers PING but refuses `EVALSHA`/`EVAL`,
 * or refuses writes as a read-only replica does, is not ready); 503 `unready`
 * while it fails (a load balancer then sends traffic elsewhere), 200 `ready` otherwise.
 */
export function registerHealthRoutes(app: FastifyInstance, health: StoreHealth): void {
  const startedAt = Date.now();

  app.get('/healthz', async (_request, reply) => {
    void reply.header('cache-control', 'no-store');
    return { status: 'ok', pid: process.pid, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) };
  });

  app.get('/readyz', async (_request, reply) => {
    const store = await health.check(0);
    void reply.header('cache-control', 'no-store').code(store.up ? 200 : 503);
    return { status: store.up ? 'ready' : 'unready', store };
  });
}
