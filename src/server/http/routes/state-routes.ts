import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from '../http-error.js';
import { SharedRender } from '../shared-render.js';
import type { EventStream } from '../event-stream.js';
import type { ServiceMetrics } from '../../state/service-metrics.js';
import type { ServiceState } from '../../state/service-state.js';

/** What {@link registerStateRoutes} needs. */
export interface StateRouteDeps {
  state: ServiceState;
  events: EventStream;
  metrics: ServiceMetrics;
  /** What `/metrics` renders instead of this process's registry (every worker's metrics). */
  render?: () => Promise<string>;
  /** A render of `/metrics` is reused for this long (ms); concurrent scrapes always share one. */
  metricsMaxAgeMs: number;
  /** The metrics token's check (run before anything else); absent: `/metrics` is open. */
  authorizeMetrics?: (request: FastifyRequest) => void;
}

/**
 * `GET /v1/state` (JSON), `GET /v1/events` (server-sent events) and `GET /metrics`
 * (Prometheus: this process's registry, or `render`, e.g. every worker's metrics;
 * one render shared by concurrent scrapes and reused for `metricsMaxAgeMs`).
 */
export function registerStateRoutes(app: FastifyInstance, deps: StateRouteDeps): void {
  const { state, events, metrics } = deps;

  app.get('/v1/state', async (_request, reply) => {
    void reply.header('cache-control', 'no-store');
    return state.snapshot(250);
  });

  // No HEAD twin: a HEAD request must not hold an event-stream slot open.
  app.get('/v1/events', { exposeHeadRoute: false }, (request, reply) => {
    events.attach(request, reply);
  });

  metrics.setScopeSource(() => state.gaugeValues());
  const rendered = new SharedRender(deps.render ?? (() => metrics.render()), deps.metricsMaxAgeMs);
  const { authorizeMetrics } = deps;
  const options = authorizeMetrics ? { onRequest: async (request: FastifyRequest) => authorizeMetrics(request) } : {};
  app.get('/metrics', options, async (_request, reply) => {
    void reply.header('cache-control', 'no-store').type(metrics.contentType);
    try {
      return await rendered.get();
    } catch (error) {
      if (!deps.render) throw error;
      throw new HttpError(503, 'metrics_unavailable', null, (error as Error).message);
    }
  });
}
