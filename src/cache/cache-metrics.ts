import { Counter, Histogram, type Registry } from 'prom-client';
import { InvalidInputError } from '../core/errors.js';
import { MARKET_OVERFLOW_REASONS, type CacheEvent, type CacheHooks } from './cache-events.js';

/** Options of {@link cacheMetricsHooks}. */
export interface CacheMetricsOptions {
  /** The registry the metrics are registered on (never the global one unless you pass it). */
  registry: Registry;
  /** Metric name prefix. Default `vix_ttl_cache_`. */
  prefix?: string | undefined;
  /** A label value telling caches apart (e.g. `odds`). Default `default`. */
  cache?: string | undefined;
}

/**
 * Registers prom-client metrics for an {@link AdaptiveCache} on `registry` and
 * returns the hooks that feed them: `<prefix>events_total{cache,type,detail}`
 * (hit by tier l1/store, miss by reason, load ok/error, load_timeout, late_load
 * ok/error, stale, coalesced by scope, store_error by operation, corrupt, not_cached,
 * refresh and overload by outcome, soft_timeout, invalidate by source, bus up/down,
 * bus_rejected and market_overflow by reason; market_overflow's reasons are shown at 0
 * before the first one, so an alert on its increase sees the first overflow) and
 * `<prefix>load_duration_seconds{cache,outcome}` (outcome ok, error or timeout: a
 * timed-out load is observed at its bound, so the histogram counts every loader call).
 * Calling it twice on one registry reuses the metrics.
 */
export function cacheMetricsHooks(options: CacheMetricsOptions): CacheHooks {
  const { registry, prefix = 'vix_ttl_cache_', cache = 'default' } = options ?? ({} as CacheMetricsOptions);
  if (!registry || typeof registry.getSingleMetric !== 'function') throw new InvalidInputError('registry', 'must be a prom-client Registry', registry);
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix)) throw new InvalidInputError('prefix', 'must be a valid Prometheus metric name prefix', prefix);
  const events =
    (registry.getSingleMetric(`${prefix}events_total`) as Counter<'cache' | 'type' | 'detail'> | undefined) ??
    new Counter({ name: `${prefix}events_total`, help: 'Adaptive cache events by type (hit, miss, load, load_timeout, late_load, stale, coalesced, store_error, corrupt, not_cached, refresh, soft_timeout, overload, invalidate, bus, bus_rejected, market_overflow).', labelNames: ['cache', 'type', 'detail'], registers: [registry] });
  const loads =
    (registry.getSingleMetric(`${prefix}load_duration_seconds`) as Histogram<'cache' | 'outcome'> | undefined) ??
    new Histogram({
      name: `${prefix}load_duration_seconds`,
      help: 'Time the adaptive cache spent in loader calls.',
      labelNames: ['cache', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
  // At 0 from the start: the first overflow must be an increase (alerts use increase()), not a series appearing at 1.
  for (const reason of MARKET_OVERFLOW_REASONS) events.inc({ cache, type: 'market_overflow', detail: reason }, 0);
  return {
    onCacheEvent(event: CacheEvent): void {
      events.inc({ cache, type: event.type, detail: detailOf(event) });
      if (event.type === 'load') loads.observe({ cache, outcome: event.ok ? 'ok' : 'error' }, event.durationMs / 1000);
      else if (event.type === 'load_timeout') loads.observe({ cache, outcome: 'timeout' }, event.timeoutMs / 1000);
    },
  };
}

function detailOf(event: CacheEvent): string {
  switch (event.type) {
    case 'miss':
      return event.reason;
    case 'load':
    case 'late_load':
      return event.ok ? 'ok' : 'error';
    case 'coalesced':
      return event.across;
    case 'store_error':
      return `${event.operation}_${event.failure}`;
    case 'hit':
      return event.l1 ? 'l1' : 'store';
    case 'refresh':
    case 'overload':
      return event.outcome;
    case 'invalidate':
      return event.source;
    case 'bus':
      return event.state;
    case 'bus_rejected':
    case 'market_overflow':
      return event.reason;
    default:
      return '';
  }
}
