import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Registry } from 'prom-client';
import type { ApiOperation } from '../api-operation.js';
import { messageOf } from '../../../core/errors.js';
import { HttpError } from '../http-error.js';
import { SharedRender } from '../shared-render.js';
import type { EventStream } from '../event-stream.js';
import { serviceStateSchema, vixTransitionSchema } from '../response-schemas.js';
import type { ServiceMetrics } from '../../state/service-metrics.js';
import type { ServiceState } from '../../state/service-state.js';

/** What {@link registerStateRoutes} needs. */
export interface StateRouteDeps {
  state: ServiceState;
  events: EventStream;
  metrics: ServiceMetrics;
  /** What `/metrics` renders instead of this process's registry (every worker's metrics). */
  render?: (() => Promise<string>) | undefined;
  /** A render of `/metrics` is reused for this long (ms); concurrent scrapes always share one. */
  metricsMaxAgeMs: number;
  /** The metrics token's check (run before anything else); absent: `/metrics` is open. */
  authorizeMetrics?: ((request: FastifyRequest) => void) | undefined;
}

/** What the OpenAPI document says of {@link registerStateRoutes}' routes. */
export const stateOperations: readonly ApiOperation[] = [
  {
    method: 'GET',
    path: '/v1/state',
    operationId: 'getState',
    tag: 'state',
    summary: 'The state of every tracked scope',
    description:
      "Every tracked scope, global first: its panic as this process last read it from the shared clock, the tier, mode and TTL per importance, decisions per second by tier, the fail-safe state and its VIX; the store's health; the extended-panic alert; the VIX engine. Built at most every 250 ms and shared by concurrent requests.",
    responses: { 200: { description: 'A snapshot of the service.', content: { 'application/json': serviceStateSchema } } },
    errors: [],
  },
  {
    method: 'GET',
    path: '/v1/events',
    operationId: 'streamEvents',
    tag: 'state',
    summary: 'The state as server-sent events',
    description:
      'A text/event-stream that stays open: `event: state` with a ServiceState as JSON data every second and about 100 ms after a change, `event: transition` with a VixTransition as JSON data on each VIX status change, and `: heartbeat` comments. Each event has an increasing `id`. No HEAD twin.',
    responses: {
      200: {
        description: 'The event stream (it does not end while the client stays).',
        content: { 'text/event-stream; charset=utf-8': { events: { state: serviceStateSchema, transition: vixTransitionSchema } } },
      },
    },
    errors: ['too_many_clients'],
  },
  {
    method: 'GET',
    path: '/metrics',
    operationId: 'getMetrics',
    tag: 'state',
    summary: 'Prometheus metrics',
    description:
      "The Prometheus text format (with --workers, every worker's metrics, aggregated by the primary). A scrape sends the store no command. One render is shared by concurrent scrapes and reused for metricsMaxAgeMs (1 s), so what a scrape shows is at most that old. Needs `Authorization: Bearer <VIX_TTL_METRICS_TOKEN>` when the service has a metrics token.",
    security: 'metrics',
    responses: { 200: { description: 'The metrics.', content: { [Registry.PROMETHEUS_CONTENT_TYPE]: 'text' } } },
    errors: ['unauthorized', 'metrics_unavailable'],
  },
];

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
      throw new HttpError('metrics_unavailable', null, messageOf(error));
    }
  });
}
