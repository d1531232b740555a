import type { FastifyInstance } from 'fastify';
import type { VixCircuitBreaker } from '../breaker/vix-circuit-breaker.js';
import { parseBody } from './parse-body.js';
import { ttlRequestSchema } from './request-schemas.js';

/** `POST /v1/ttl`: a body shaped like `getTtl`'s input in, a `TtlDecision` out. */
export function registerTtlRoutes(app: FastifyInstance, breaker: VixCircuitBreaker): void {
  app.post('/v1/ttl', async (request, reply) => {
    const input = parseBody(ttlRequestSchema, request.body);
    const decision = await breaker.getTtl(input);
    void reply.header('cache-control', 'no-store');
    return decision;
  });
}
