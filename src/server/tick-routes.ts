import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from './body-error.js';
import { parseBody } from './parse-body.js';
import { ticksRequestSchema } from './request-schemas.js';
import { VixUnavailableError, type VixSource } from './vix-source.js';

/** Limits of `POST /v1/ticks`. */
export interface TickRouteLimits {
  /** Largest body, in bytes (larger than the other routes': a batch is big). */
  bodyLimit: number;
  /** Most ticks in one batch; more is a 413. */
  maxTicks: number;
  /** The API token's check, run before the body is read; absent: the route is open. */
  authorize?: (request: FastifyRequest) => void;
}

/**
 * `POST /v1/ticks` `{ ticks: [...] }`: a batch of odds ticks for the VIX engine, in
 * order. Answers `{ accepted, rejected, byReason, rejections }` (the first few ticks
 * not used, with their index and reason). A body over `bodyLimit` bytes or with more
 * than `maxTicks` ticks is a 413; a body that is not `{ ticks: array }` a 400 naming
 * the field; an engine that cannot be reached (a silent cluster primary) a 503.
 */
export function registerTickRoutes(app: FastifyInstance, source: VixSource, limits: TickRouteLimits): void {
  const { authorize } = limits;
  const onRequest = authorize ? { onRequest: async (request: FastifyRequest) => authorize(request) } : {};
  app.post('/v1/ticks', { bodyLimit: limits.bodyLimit, ...onRequest }, async (request, reply) => {
    const count = tickCount(request.body);
    if (count > limits.maxTicks) throw new HttpError(413, 'too_many_ticks', 'ticks', `ticks must hold at most ${limits.maxTicks} ticks per batch, got ${count}; split the batch`);
    const { ticks } = parseBody(ticksRequestSchema, request.body);
    void reply.header('cache-control', 'no-store');
    try {
      return await source.ingest(ticks);
    } catch (error) {
      if (error instanceof VixUnavailableError) throw new HttpError(503, 'vix_unavailable', null, error.message);
      throw error;
    }
  });
}

/** How many ticks a body holds, before the full validation (0 when it is not `{ ticks: array }`). */
function tickCount(body: unknown): number {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 0;
  const ticks = (body as { ticks?: unknown }).ticks;
  return Array.isArray(ticks) ? ticks.length : 0;
}
