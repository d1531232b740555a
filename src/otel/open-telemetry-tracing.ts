import type * as OtelApi from '@opentelemetry/api';
import type { Attributes, Tracer, TracerProvider } from '@opentelemetry/api';
import { z } from 'zod';
import type { DecisionEvent, StoreCallEvent } from '../breaker/breaker-hooks.js';
import type { VixCircuitBreaker } from '../breaker/vix-circuit-breaker.js';
import type { AdaptiveCache } from '../cache/adaptive-cache.js';
import type { CacheEvent, CacheResultEvent } from '../cache/cache-events.js';
import { LoaderTimeoutError, messageOf } from '../core/errors.js';
import type { Disposable } from '../core/event.js';
import { PACKAGE_VERSION } from '../core/package-version.js';
import { parseOptions } from '../core/parse-options.js';
import { bounded, decisionAttributes, errorType, scopeAttribute, SPAN_ATTRIBUTES as A, SPAN_NAMES } from './span-attributes.js';
import { tracerProviderCheck } from './tracer-provider-registered.js';

/** What tracing needs of a breaker: its decision and store-call events (and its clock's kind, for an attribute). */
export type TracedBreaker = Pick<VixCircuitBreaker, 'onDecision' | 'onStoreCall'> & { readonly clock?: { readonly kind: string } | null | undefined };

/** What tracing needs of a cache: its events and its settled calls. */
export type TracedCache = Pick<AdaptiveCache, 'onCacheEvent' | 'onResult'>;

/** Options of `instrumentOpenTelemetry`. */
export interface OpenTelemetryOptions {
  /** The breaker whose decisions that reach the clock, and whose clock calls, become spans. */
  breaker?: TracedBreaker | undefined;
  /** The cache whose calls past the in-process tier, loads and refreshes become spans. */
  cache?: TracedCache | undefined;
  /**
   * Where the tracer comes from. Default: the globally registered provider, used only
   * while one is registered (checked again at each clock call of the breaker, so an
   * SDK started later is picked up). A provider passed here is always used.
   */
  tracerProvider?: TracerProvider | undefined;
}

const hasFunctions = (value: unknown, names: string[]) => typeof value === 'object' && value !== null && names.every((n) => typeof (value as Record<string, unknown>)[n] === 'function');

const optionsSchema = z
  .strictObject({
    breaker: z.custom<TracedBreaker>((v) => v === undefined || hasFunctions(v, ['onDecision', 'onStoreCall']), { message: 'must be a VixCircuitBreaker (onDecision and onStoreCall events)' }).optional(),
    cache: z.custom<TracedCache>((v) => v === undefined || hasFunctions(v, ['onCacheEvent', 'onResult']), { message: 'must be an AdaptiveCache (onCacheEvent and onResult events)' }).optional(),
    tracerProvider: z.custom<TracerProvider>((v) => v === undefined || hasFunctions(v, ['getTracer']), { message: 'must be an OpenTelemetry TracerProvider (getTracer)' }).optional(),
  })
  .refine((o) => o.breaker !== undefined || o.cache !== undefined, { message: 'needs a breaker, a cache or both to trace', path: ['breaker'] });

/** The instrumentation's name and version on every span (the tracer's scope). */
export const TRACER_NAME = 'vix-ttl';

/**
 * Turns a breaker's and a cache's events into OpenTelemetry spans, drawn with the
 * times the events carry and parented to the context active where each event is
 * emitted — the caller's, which AsyncLocalStorage carries into the continuation of
 * `getTtl` and `getOrLoad`. Spans: `vix_ttl.decision` (a decision that waited for
 * the clock), `vix_ttl.clock.observe` (a clock call), `vix_ttl.cache.get` (a call past
 * the in-process tier, with its status and the entry's age), `vix_ttl.cache.load`
 * (a loader call and its outcome), `vix_ttl.cache.refresh`. Decisions from the sync
 * window and in-process hits make no span. While no tracer provider is registered
 * (and none was passed) only the breaker's clock calls are listened to (the cache's
 * calls when no breaker is given), so the hot paths cost what they cost without tracing.
 */
export class OpenTelemetryTracing implements Disposable {
  readonly #api: typeof OtelApi;
  readonly #tracer: Tracer;
  readonly #explicit: boolean;
  readonly #registered: () => boolean;
  readonly #breaker: TracedBreaker | undefined;
  readonly #cache: TracedCache | undefined;
  readonly #always: Disposable[];
  #hot: Disposable[] | null = null;
  #disposed = false;

  /** @throws InvalidConfigError naming the bad option. */
  constructor(api: typeof OtelApi, options: OpenTelemetryOptions) {
    const o = parseOptions(optionsSchema, options, 'instrumentOpenTelemetry');
    this.#api = api;
    this.#explicit = o.tracerProvider !== undefined;
    this.#registered = tracerProviderCheck(api);
    this.#tracer = (o.tracerProvider ?? api.trace.getTracerProvider()).getTracer(TRACER_NAME, PACKAGE_VERSION);
    this.#breaker = o.breaker;
    this.#cache = o.cache;
    // Listened to even without an SDK, to notice one registered later: the breaker's clock calls (a round
    // trip each, every syncIntervalMs per scope at most), or without a breaker the cache's calls past its in-process tier.
    this.#always = o.breaker ? [o.breaker.onStoreCall((event) => this.#onStoreCall(event))] : [o.cache!.onResult((event) => this.#onResult(event))];
    this.refresh();
  }

  /** The breaker's batch of the last clock-call span (see {@link StoreCallEvent.batch}). */
  #lastBatch = -1;

  /** Whether spans are being made: a provider was passed, or one is registered globally (as of the last check). */
  get active(): boolean {
    return this.#hot !== null;
  }

  /** The tracer vix-ttl's spans come from (the service draws its request spans with it). */
  get tracer(): Tracer {
    return this.#tracer;
  }

  /**
   * Checks again whether a tracer provider is registered, and subscribes to (or
   * leaves) the hot-path events accordingly; returns {@link active}. Runs by itself
   * at each clock call of the breaker (without a breaker, at each cache call past
   * the in-process tier).
   */
  refresh(): boolean {
    const live = !this.#disposed && (this.#explicit || this.#registered());
    if (live && this.#hot === null) {
      this.#hot = [];
      if (this.#breaker) this.#hot.push(this.#breaker.onDecision((event) => this.#onDecision(event)));
      if (this.#cache) this.#hot.push(this.#cache.onCacheEvent((event) => this.#onCacheEvent(event)));
      if (this.#cache && this.#breaker) this.#hot.push(this.#cache.onResult((event) => this.#onResult(event)));
    } else if (!live && this.#hot !== null) {
      for (const subscription of this.#hot) subscription.dispose();
      this.#hot = null;
    }
    return live;
  }

  /** Stops making spans (every subscription ends); spans already ended are the exporter's. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const subscription of this.#always) subscription.dispose();
    this.refresh();
  }

  #onDecision({ scope, decision, waitedMs }: DecisionEvent): void {
    if (waitedMs === undefined) return; // from the sync window: no span
    const end = performance.now();
    this.#span(SPAN_NAMES.decision, end - waitedMs, end, decisionAttributes(decision, { [A.scope]: scope }));
  }

  #onStoreCall({ scope, kind, durationMs, outcome, refresh, batch }: StoreCallEvent): void {
    // One span per round trip: the observations of one batch (a sync round carries thousands) share it.
    if (batch === this.#lastBatch) return;
    this.#lastBatch = batch;
    if (!this.refresh()) return;
    const end = performance.now();
    const attributes: Attributes = { [A.clockKind]: kind, [A.clockOutcome]: outcome };
    if (!refresh) attributes[A.scope] = scope; // a sync round is every active scope's, not its first one's
    const store = this.#breaker?.clock?.kind;
    if (typeof store === 'string') attributes[A.clockStore] = bounded(store);
    this.#span(SPAN_NAMES.clockCall, end - durationMs, end, attributes, outcome === 'ok' ? null : { type: `store_${outcome}`, message: `the panic clock call ended in ${outcome}` });
  }

  #onResult(event: CacheResultEvent): void {
    if (this.#breaker === undefined && !this.refresh()) return; // with a breaker, its clock calls check
    const end = performance.now();
    const attributes: Attributes = { [A.cacheKey]: bounded(event.key), [A.cacheStatus]: event.status };
    const scope = scopeAttribute(event.scope);
    if (scope !== undefined) attributes[A.scope] = scope;
    if (event.ageMs !== null) attributes[A.entryAge] = event.ageMs;
    if (event.storeFailure !== null) attributes[A.storeFailure] = event.storeFailure;
    if (event.decision !== null) decisionAttributes(event.decision, attributes);
    const failure = event.status === 'error' ? { type: errorType(event.error), message: bounded(messageOf(event.error)) } : null;
    this.#span(SPAN_NAMES.cacheGet, end - event.durationMs, end, attributes, failure);
  }

  #onCacheEvent(event: CacheEvent): void {
    switch (event.type) {
      case 'load': {
        const end = performance.now();
        const failure = event.ok ? null : { type: 'loader_error', message: 'the loader threw or rejected' };
        this.#span(SPAN_NAMES.cacheLoad, end - event.durationMs, end, { [A.cacheKey]: bounded(event.key), [A.loaderOutcome]: event.ok ? 'ok' : 'error' }, failure);
        return;
      }
      case 'load_timeout': {
        const end = performance.now();
        const failure = { type: LoaderTimeoutError.code, message: `the loader did not settle within ${event.timeoutMs} ms` };
        this.#span(SPAN_NAMES.cacheLoad, end - event.timeoutMs, end, { [A.cacheKey]: bounded(event.key), [A.loaderOutcome]: 'timeout' }, failure);
        return;
      }
      case 'refresh': {
        const end = performance.now();
        const failed = event.outcome === 'error' || event.outcome === 'timeout';
        const failure = failed ? { type: `refresh_${event.outcome}`, message: `the background reload ended in ${event.outcome}` } : null;
        this.#span(SPAN_NAMES.cacheRefresh, end - event.durationMs, end, { [A.cacheKey]: bounded(event.key), [A.refreshOutcome]: event.outcome }, failure);
        return;
      }
      default:
        return; // hits, misses and the rest are attributes of the cache.get span, or counted by metrics
    }
  }

  /** One span from `start` to `end` (performance.now() times), under the context active now. */
  #span(name: string, start: number, end: number, attributes: Attributes, failure: { type: string; message: string } | null = null): void {
    const api = this.#api;
    const span = this.#tracer.startSpan(name, { kind: api.SpanKind.INTERNAL, startTime: start, attributes }, api.context.active());
    if (failure !== null) {
      span.setAttribute(A.errorType, failure.type);
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: failure.message });
    }
    span.end(end);
  }
}
