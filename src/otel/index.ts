/**
 * vix-ttl/opentelemetry: spans for the breaker's and the cache's work, with the
 * caller's span as parent. Needs `@opentelemetry/api` (an optional peer
 * dependency); `vix-ttl` itself never loads it.
 * @packageDocumentation
 */
import * as api from '@opentelemetry/api';
import { OpenTelemetryTracing, type OpenTelemetryOptions } from './open-telemetry-tracing.js';

export { OpenTelemetryTracing, TRACER_NAME, type OpenTelemetryOptions, type TracedBreaker, type TracedCache } from './open-telemetry-tracing.js';
export { SPAN_ATTRIBUTES, SPAN_NAMES, MAX_ATTRIBUTE_LENGTH } from './span-attributes.js';

/**
 * Makes spans of what `breaker` and `cache` do (see {@link OpenTelemetryTracing}),
 * under the context active at each call: a request span, or any span of yours.
 * Call it once per component; `dispose()` the result to stop. Needs an SDK (a tracer
 * provider, and an AsyncLocalStorage context manager for the parent links) to record
 * anything; without one it listens to the slow paths only and costs nothing on the hot ones.
 * @throws InvalidConfigError naming the bad option.
 */
export function instrumentOpenTelemetry(options: OpenTelemetryOptions): OpenTelemetryTracing {
  return new OpenTelemetryTracing(api, options);
}
