/**
 * vix-ttl/server, the HTTP service: `createServer` (a Fastify app with the decision,
 * tick, state, event, metrics, health and admin routes, the Brain Lab dashboard and
 * `GET /openapi.json`), `openApiDocument` (that document without a server),
 * the service's process helpers, its VIX sources and its Prometheus metrics, and
 * `cacheMetricsHooks` (prom-client metrics for an `AdaptiveCache`). The library
 * itself is `vix-ttl`.
 * @packageDocumentation
 */
export { createServer, type VixTtlServerOptions, type VixTtlServer } from './http/create-server.js';
export { startService, type ServiceConfig, type RunningService } from './process/run-service.js';
export { DemoFeed, DEFAULT_DEMO_SCOPES, type DemoFeedOptions, type DemoScope, type DecisionTaker, type TickSink } from './process/demo-feed.js';
export { acceleratedTime, type TimeSource } from './process/accelerated-time.js';
export { ServiceMetrics, STORE_LATENCY_BUCKETS, DECISION_TTL_BUCKETS, type ScopeGaugeValues, type MetricSources } from './state/service-metrics.js';
export type { ServiceTelemetry, ServiceTelemetryOptions } from './state/service-telemetry.js';
export type { ServiceState, ServiceStateSnapshot, ScopeStateView, ImportanceView, RatesView, VixSummary } from './state/service-state.js';
export { LocalVix, type LocalVixOptions } from './vix/local-vix.js';
export { RemoteVix, type RemoteVixOptions, type IpcChannel } from './process/remote-vix.js';
export { VixUnavailableError, VixBusyError, type VixSource, type VixReading, type VixProvider, type TickBatch, type VixView, type VixScopeReading, type VixTransitionView, type TickBatchAnswer } from './vix/vix-source.js';
export { VixMetrics, OTHER_SCOPE_LABEL, type VixMetricsOptions } from './vix/vix-metrics.js';
export type { StoreHealth, StoreHealthReport } from './state/store-health.js';
export type { EventStream } from './http/event-stream.js';
export { HttpError, HTTP_ERROR_STATUS, HTTP_ERROR_NAMES, type HttpErrorName } from './http/http-error.js';
export { openApiDocument, type OpenApiDocument } from './http/openapi-document.js';
export type { ErrorBody } from './http/error-handler.js';

export { LogVolume, OTHER_EVENT, MAX_EVENTS, type LogVolumeHooks } from './state/log-volume.js';
export { PanicEpisodes, PANIC_EPISODE_METRIC, PANIC_EPISODE_BUCKETS } from './state/panic-episodes.js';
export { ScrapeHistogram, type ScrapeHistogramOptions } from './state/scrape-histogram.js';

export { cacheMetricsHooks, type CacheMetricsOptions } from '../cache/cache-metrics.js';
