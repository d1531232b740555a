import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { VixCircuitBreaker } from '../../../breaker/vix-circuit-breaker.js';
import type { ApiOperation } from '../api-operation.js';
import { parseBody } from '../parse-body.js';
import { ttlRequestSchema } from '../request-schemas.js';
import { ttlDecisionSchema } from '../response-schemas.js';

/** What the OpenAPI document says of {@link registerTtlRoutes}' routes. */
export const ttlOperations: readonly ApiOperation[] = [
  {
    method: 'POST',
    path: '/v1/ttl',
    operationId: 'decideTtl',
    tag: 'decisions',
    summary: 'Decide how long to cache',
    description:
      'The body of VixCircuitBreaker.getTtl in, a TtlDecision out. With vixStatus, the caller says what the market does (panic starts or continues the shared panic, calm ends it); without it, the status the VIX engine published decides. During a panic whose start cannot be read reliably the answer is TTL 0 with failSafe true and a reason, never an error. A service in shadow mode (serve --shadow) answers the base TTL, with the decision that would have applied in shadow. Needs the API token when the service has one.',
    security: 'api',
    body: { schema: ttlRequestSchema, required: true },
    responses: { 200: { description: 'The decision.', content: { 'application/json': ttlDecisionSchema } } },
    errors: ['invalid_body', 'invalid_json', 'unauthorized', 'body_too_large', 'unsupported_media_type'],
  },
];

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
