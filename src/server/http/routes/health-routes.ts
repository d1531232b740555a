import type { FastifyInstance } from 'fastify';
import type { ApiOperation } from '../api-operation.js';
import { healthSchema, readinessSchema, type HealthAnswer, type ReadinessAnswer } from '../response-schemas.js';
import type { StoreHealth } from '../../state/store-health.js';

/** What the OpenAPI document says of {@link registerHealthRoutes}' routes. */
export const healthOperations: readonly ApiOperation[] = [
  {
    method: 'GET',
    path: '/healthz',
    operationId: 'getHealth',
    tag: 'health',
    summary: 'Liveness',
    description: 'A 200 while the process serves.',
    responses: { 200: { description: 'The process serves.', content: { 'application/json': healthSchema } } },
    errors: [],
  },
  {
    method: 'GET',
    path: '/readyz',
    operationId: 'getReadiness',
    tag: 'health',
    summary: 'Readiness: the panic store answers',
    description:
      "Runs the clock's read-only script on the store (the path decisions use: a Redis that answers PING but refuses scripts is not ready) within the ready timeout (250 ms by default). store.eviction gives Redis's maxmemory-policy, which is not part of readiness.",
    responses: {
      200: { description: 'ready: the store answers.', content: { 'application/json': readinessSchema } },
      503: { description: 'unready: the store did not answer in time (a load balancer sends traffic elsewhere).', content: { 'application/json': readinessSchema } },
    },
    errors: [],
  },
];

/**
 * `GET /healthz`: 200 while the process serves. `GET /readyz`: runs the clock's
 * inspection script with its write check on the store with a short timeout (the
 * path decisions use, so a Redis that answers PING but refuses `EVALSHA`/`EVAL`,
 * or refuses writes as a read-only replica does, is not ready); 503 `unready`
 * while it fails (a load balancer then sends traffic elsewhere), 200 `ready` otherwise.
 */
export function registerHealthRoutes(app: FastifyInstance, health: StoreHealth): void {
  const startedAt = Date.now();

  app.get('/healthz', async (_request, reply): Promise<HealthAnswer> => {
    void reply.header('cache-control', 'no-store');
    return { status: 'ok', pid: process.pid, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) };
  });

  app.get('/readyz', async (_request, reply): Promise<ReadinessAnswer> => {
    const store = await health.check(0);
    void reply.header('cache-control', 'no-store').code(store.up ? 200 : 503);
    return { status: store.up ? 'ready' : 'unready', store };
  });
}
