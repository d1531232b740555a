import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { VixCircuitBreaker } from '../../../breaker/vix-circuit-breaker.js';
import { parseBody } from '../parse-body.js';
import { ttlRequestSchema } from '../request-schemas.js';

/**
 * `POST /v1/ttl`: a body shaped like `getTtl`'s input in, a `TtlDecision` out.
 * `authorize` (the API token's check, when one is set) runs before the body is read.
 */
export function registerTtlRoutes(app: FastifyInstance, breaker: VixCircuitBreaker, authorize?: (request: FastifyRequest) => void): void {
  const options = authorize ? { onRequest: async (request: FastifyRequest) => authorize(request) } : {};
  app.post('/v1/ttl', options, async (request, reply) => {
    const input = parseBody(ttlRequestSchema, request.body);
    const decision = await breaker.getTtl(input);
    void reply.header('cache-control', 'no-store');
    return decision;
  });
}
