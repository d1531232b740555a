import type { FastifyInstance } from 'fastify';
import type { EventStream } from './event-stream.js';
import type { ServiceMetrics } from './service-metrics.js';
import type { ServiceState, ServiceStateSnapshot } from './service-state.js';

/** `GET /v1/state` (JSON), `GET /v1/events` (server-sent events) and `GET /metrics` (Prometheus). */
export function registerStateRoutes(app: FastifyInstance, deps: { state: ServiceState; events: EventStream; metrics: ServiceMetrics }): void {
  const { state, events, metrics } = deps;

  app.get('/v1/state', async (_request, reply) => {
    void reply.header('cache-control', 'no-store');
    return state.snapshot(250);
  });

  app.get('/v1/events', (request, reply) => {
    events.attach(request, reply);
  });

  app.get('/metrics', async (_request, reply) => {
    metrics.scopes(gaugeValues(await state.snapshot(0)));
    void reply.header('cache-control', 'no-store').type(metrics.contentType);
    return metrics.render();
  });
}

function gaugeValues(snapshot: ServiceStateSnapshot) {
  return snapshot.scopes
    .filter((scope) => scope.tiers !== null)
    .map((scope) => ({
      scope: scope.scope,
      panicActive: scope.panic?.active ?? false,
      panicDurationSeconds: (scope.panic?.durationMs ?? 0) / 1000,
      tiers: Object.fromEntries(Object.entries(scope.tiers!).map(([importance, view]) => [importance, view.tier])),
    }));
}
