import type { FastifyInstance } from 'fastify';
import { HttpError } from '../http-error.js';
import type { EventStream } from '../event-stream.js';
import type { ServiceMetrics } from '../../state/service-metrics.js';
import type { ServiceState } from '../../state/service-state.js';

/**
 * `GET /v1/state` (JSON), `GET /v1/events` (server-sent events) and `GET /metrics`
 * (Prometheus: this process's registry, or `render`, e.g. every worker's metrics).
 */
export function registerStateRoutes(app: FastifyInstance, deps: { state: ServiceState; events: EventStream; metrics: ServiceMetrics; render?: (() => Promise<string>) | undefined }): void {
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
  app.get('/metrics', async (_request, reply) => {
    void reply.header('cache-control', 'no-store').type(metrics.contentType);
    if (!deps.render) return metrics.render();
    try {
      return await deps.render();
    } catch (error) {
      throw new HttpError(503, 'metrics_unavailable', null, (error as Error).message);
    }
  });
}
