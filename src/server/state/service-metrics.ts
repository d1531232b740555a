import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { CorruptValue, EvictionPolicy, ObservationKind } from '../../clock/panic-clock.js';
import type { StoreOutcome } from '../../breaker/breaker-hooks.js';
import { IMPORTANCES, type Importance } from '../../policy/importance.js';
import type { Tier } from '../../policy/panic-mode.js';
import type { TtlDecision } from '../../policy/ttl-decision.js';
import { ArrayCounter, type CounterCell } from './array-counter.js';
import { ArrayHistogram, type HistogramSeries } from './array-histogram.js';
import type { ShadowTotal } from '../../breaker/shadow-ledger.js';
import { PanicEpisodes } from './panic-episodes.js';
import { ScrapeHistogram } from './scrape-histogram.js';

/** Store latency buckets (seconds), dense around the breaker's default 50 ms timeout. */
export const STORE_LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.25, 1];

/**
 * prom-client default gauges whose `_total` suffix `promtool check metrics` rejects
 * (only counters may end in `_total`); their per-type twins without the suffix
 * (`nodejs_active_handles{type}`…) carry the same information.
 */
const LINT_FAILING_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

const HTTP_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1];

/**
 * Decided-TTL buckets (seconds): 0 (the backend takes every request) and the TTLs
 * of the default tier tables (5, 20, 30, 45, 60), then common base TTLs up to an hour.
 */
export const DECISION_TTL_BUCKETS = Object.freeze([0, 1, 5, 10, 20, 30, 45, 60, 120, 300, 900, 3600]);

/** Per-scope values the metrics publish, taken from a state snapshot. */
export interface ScopeGaugeValues {
  scope: string;
  /** Seconds of panic on the clock, 0 when calm. */
  panicDurationSeconds: number;
  panicActive: boolean;
  /** Current tier per importance (0 = no panic). */
  tiers: Record<Importance, Tier>;
}

/**
 * Local state the gauges read at each scrape: a scrape never asks the store, so
 * its cost does not grow with the number of scopes.
 */
export interface MetricSources {
  /** Per-scope panic duration, panic active and current tier. */
  scopes?: (() => readonly ScopeGaugeValues[]) | undefined;
  /** The clock's commands in flight. */
  inFlight?: (() => number) | undefined;
  /** Scopes held in panic by the breaker, and its `maxPanicScopes`. */
  panicScopes?: (() => { held: number; max: number }) | undefined;
  /** The store's eviction policy as last checked, or null. */
  eviction?: (() => EvictionPolicy | null) | undefined;
  /** What shadow mode would have changed so far (a `ShadowLedger`'s totals); none outside shadow mode. */
  shadow?: (() => readonly ShadowTotal[]) | undefined;
}

/** Records the HTTP requests of one route and method (see {@link ServiceMetrics.httpRoute}). */
export interface HttpRouteRecorder {
  /** Observes one request of this route and method that ended with `statusCode` after `durationMs`. */
  record(statusCode: number, durationMs: number): void;
}

/**
 * The Prometheus metrics of one service instance, on their own registry (not the
 * global one), so several servers can live in one process and tests read exact
 * values. Names are prefixed `vix_ttl_`. What is counted per decision or per request
 * (decisions, fail-safes, store latency, HTTP requests) is counted in plain numbers and
 * handed to prom-client when `/metrics` renders ({@link ArrayCounter},
 * {@link ArrayHistogram}): the hot path hashes no labels.
 */
export class ServiceMetrics {
  /** The registry `/metrics` renders. */
  readonly registry: Registry;
  readonly #decisions: ArrayCounter<'mode' | 'tier' | 'importance'>;
  /** Decision cells by mode, then tier, then importance: three lookups on constant keys, no label hashed. */
  readonly #decisionCells = new Map<string, Array<Map<string, CounterCell>>>();
  readonly #failSafe: ArrayCounter<'reason'>;
  readonly #failSafeCells = new Map<string, CounterCell>();
  readonly #storeLatency: ArrayHistogram<'kind' | 'outcome'>;
  readonly #storeSeries = new Map<string, Map<string, HistogramSeries>>();
  readonly #repairs: Counter<'reason'>;
  readonly #storeUp: Gauge;
  readonly #http: ArrayHistogram<'method' | 'route' | 'status_code'>;
  readonly #eventClients: Gauge;
  readonly #decisionTtl: ScrapeHistogram<Importance>;
  /** How long panics lasted, observed when each ends (see {@link PanicEpisodes}). */
  readonly panicEpisodes: PanicEpisodes;
  readonly #connections: Gauge;
  readonly #connectionsMax: Gauge;
  readonly #connectionsRefused: Counter;
  readonly #shadowMode: Gauge;
  #sources: MetricSources = {};

  constructor(options: { defaultMetrics?: boolean | undefined; clockKind?: string | undefined; timeScale?: number | undefined; version?: string | undefined } = {}) {
    const registers = [(this.registry = new Registry())];
    if (options.defaultMetrics !== false) {
      collectDefaultMetrics({ register: this.registry });
      for (const name of LINT_FAILING_DEFAULTS) this.registry.removeSingleMetric(name);
    }
    this.#decisions = new ArrayCounter({ name: 'vix_ttl_decisions_total', help: 'TTL decisions taken, by mode, tier and importance.', labelNames: ['mode', 'tier', 'importance'], registers });
    this.#failSafe = new ArrayCounter({ name: 'vix_ttl_fail_safe_total', help: 'Fail-safe decisions (TTL 0 because the panic start could not be had reliably), by reason.', labelNames: ['reason'], registers });
    this.#storeLatency = new ArrayHistogram({
      name: 'vix_ttl_store_latency_seconds',
      help: 'Latency of round trips to the panic clock store (one per batch of observations), by call kind (of the batch\'s first observation) and outcome (ok, timeout, error, busy).',
      labelNames: ['kind', 'outcome'],
      buckets: STORE_LATENCY_BUCKETS,
      registers,
    });
    this.#decisionTtl = new ScrapeHistogram({
      name: 'vix_ttl_decision_ttl_seconds',
      help: 'TTLs decided, in seconds, by importance (the seeds\' "TTL variance"): how much of the traffic the backend takes (le="0") and how long the rest may be cached.',
      buckets: DECISION_TTL_BUCKETS,
      labelName: 'importance',
      labelValues: IMPORTANCES,
      registers,
    });
    this.panicEpisodes = PanicEpisodes.on(this.registry);
    this.#repairs = new Counter({ name: 'vix_ttl_corrupt_repairs_total', help: 'Corrupt panic start values found in the store and repaired, by reason.', labelNames: ['reason'], registers });
    this.#storeUp = new Gauge({ name: 'vix_ttl_store_up', help: 'Whether the panic clock store answered its last health check (1) or not (0).', aggregator: 'min', registers });
    const scopes = (apply: (values: readonly ScopeGaugeValues[]) => void) => () => apply(this.#sources.scopes?.() ?? []);
    const perScope = (name: string, help: string, valueOf: (v: ScopeGaugeValues) => number) => {
      const gauge: Gauge<'scope'> = new Gauge({
        name,
        help,
        labelNames: ['scope'],
        aggregator: 'max',
        registers,
        collect: scopes((values) => {
          gauge.reset();
          for (const v of values) gauge.set({ scope: v.scope }, valueOf(v));
        }),
      });
    };
    perScope('vix_ttl_panic_duration_seconds', 'How long the current panic of a scope has lasted on the clock, 0 when calm.', (v) => v.panicDurationSeconds);
    perScope('vix_ttl_panic_active', 'Whether a scope is panicking (1) or calm (0).', (v) => (v.panicActive ? 1 : 0));
    const currentTier: Gauge<'scope' | 'importance'> = new Gauge({
      name: 'vix_ttl_current_tier',
      help: 'Current tier of a scope per importance: 0 no panic, 1 panic full … 4 new normal.',
      labelNames: ['scope', 'importance'],
      aggregator: 'max',
      registers,
      collect: scopes((values) => {
        currentTier.reset();
        for (const v of values) for (const [importance, tier] of Object.entries(v.tiers)) currentTier.set({ scope: v.scope, importance }, tier);
      }),
    });
    this.#http = new ArrayHistogram({ name: 'vix_ttl_http_request_duration_seconds', help: 'HTTP requests served, by method, route and status code.', labelNames: ['method', 'route', 'status_code'], buckets: HTTP_BUCKETS, registers });
    this.#eventClients = new Gauge({ name: 'vix_ttl_event_stream_clients', help: 'Dashboards connected to the server-sent event stream.', registers });
    this.#connections = new Gauge({ name: 'vix_ttl_http_connections', help: 'Open client connections (requests under way, event streams, idle keep-alive).', aggregator: 'sum', registers });
    this.#connectionsMax = new Gauge({ name: 'vix_ttl_http_connections_max', help: 'maxConnections: past it a new connection is closed at once and idle ones are closed to make room.', aggregator: 'sum', registers });
    this.#connectionsRefused = new Counter({ name: 'vix_ttl_http_connections_refused_total', help: 'Client connections closed at once because maxConnections were open.', registers });
    const inFlight: Gauge = new Gauge({
      name: 'vix_ttl_store_in_flight',
      help: 'Commands the panic clock has sent to the store and not had answered yet (bounded by its maxInFlight).',
      aggregator: 'sum',
      registers,
      collect: () => inFlight.set(this.#sources.inFlight?.() ?? 0),
    });
    const panicScopes: Gauge = new Gauge({
      name: 'vix_ttl_panic_scopes',
      help: 'Distinct scopes the breaker holds in panic (each one a start in the store), bounded by maxPanicScopes.',
      aggregator: 'sum',
      registers,
      collect: () => panicScopes.set(this.#sources.panicScopes?.().held ?? 0),
    });
    const panicScopesMax: Gauge = new Gauge({
      name: 'vix_ttl_panic_scopes_max',
      help: 'maxPanicScopes: past it a panic in a new scope fails safe (reason scope_limit) and is not written to the store.',
      aggregator: 'sum',
      registers,
      collect: () => panicScopesMax.set(this.#sources.panicScopes?.().max ?? 0),
    });
    const eviction: Gauge<'policy' | 'evicts_panic_starts'> = new Gauge({
      name: 'vix_ttl_store_maxmemory_policy',
      help: "Constant 1, labelled with Redis's maxmemory-policy and whether it can evict panic starts (true, false, or unknown when CONFIG is refused).",
      labelNames: ['policy', 'evicts_panic_starts'],
      aggregator: 'max',
      registers,
      collect: () => {
        eviction.reset();
        const known = this.#sources.eviction?.();
        if (!known) return;
        eviction.set({ policy: known.policy ?? 'unknown', evicts_panic_starts: known.canEvictPanicStarts === null ? 'unknown' : String(known.canEvictPanicStarts) }, 1);
      },
    });
    this.#shadowMode = new Gauge({
      name: 'vix_ttl_shadow_mode',
      help: 'Whether the service runs in shadow mode (1: it answers the base TTL and reports the decision it would have applied as shadow) or live (0).',
      aggregator: 'max',
      registers,
    });
    this.#shadowMode.set(0);
    this.#shadowCounters(registers);
    const info = new Gauge({ name: 'vix_ttl_info', help: 'Constant 1, labelled with the clock kind and the time scale (1 = real time).', labelNames: ['clock', 'time_scale', 'version'], aggregator: 'first', registers });
    info.set({ clock: options.clockKind ?? 'unknown', time_scale: String(options.timeScale ?? 1), version: options.version ?? 'unknown' }, 1);
    this.#storeUp.set(1);
  }

  /** Whether the service runs in shadow mode (`vix_ttl_shadow_mode`). */
  shadowMode(on: boolean): void {
    this.#shadowMode.set(on ? 1 : 0);
  }

  /**
   * The `vix_ttl_shadow_*` counters, read from the shadow source's totals at each
   * scrape: decisions and TTL seconds of difference (summed over workers), and the
   * time-weighted seconds (the largest worker's: each worker's callers cover the same
   * panic, so a sum would count it once per worker).
   */
  #shadowCounters(registers: Registry[]): void {
    const labelNames = ['importance', 'tier', 'outcome'] as const;
    const counter = (name: string, help: string, aggregator: 'sum' | 'max', valueOf: (total: ShadowTotal) => number) => {
      const metric: Counter<(typeof labelNames)[number]> = new Counter({
        name,
        help,
        labelNames,
        aggregator,
        registers,
        collect: () => {
          metric.reset();
          for (const total of this.#sources.shadow?.() ?? []) {
            metric.inc({ importance: total.importance, tier: String(total.tier), outcome: total.outcome }, valueOf(total));
          }
        },
      });
    };
    counter(
      'vix_ttl_shadow_decisions_total',
      'Shadow-mode decisions by importance, the tier that would have applied, and how its TTL compares with the base TTL served (same, fresher, staler).',
      'sum',
      (t) => t.decisions,
    );
    counter(
      'vix_ttl_shadow_ttl_difference_seconds_total',
      'Sum over shadow-mode decisions of |served TTL - shadow TTL| in seconds; divided by vix_ttl_shadow_decisions_total, the mean gap.',
      'sum',
      (t) => t.ttlDifferenceSeconds,
    );
    counter(
      'vix_ttl_shadow_served_seconds_total',
      'Scope-seconds during which callers served data under a shadow-mode decision: each decision covers until the next one of its scope and importance or until its base TTL runs out. outcome="fresher": time vix-ttl would have served fresher data.',
      'max',
      (t) => t.servedSeconds,
    );
  }

  /** Counts one decision (and its fail-safe reason). */
  decision(decision: TtlDecision): void {
    const { mode, tier, importance } = decision;
    const cell = this.#decisionCells.get(mode)?.[tier]?.get(importance) ?? this.#decisionCell(mode, tier, importance);
    cell.value += 1;
    if (decision.failSafe) {
      const reason = decision.reason ?? 'unknown';
      let failSafe = this.#failSafeCells.get(reason);
      if (!failSafe) this.#failSafeCells.set(reason, (failSafe = this.#failSafe.cell({ reason })));
      failSafe.value += 1;
    }
    this.#decisionTtl.observe(this.#decisionTtl.indexOf(importance), decision.ttl);
  }

  #decisionCell(mode: string, tier: number, importance: string): CounterCell {
    let byTier = this.#decisionCells.get(mode);
    if (!byTier) this.#decisionCells.set(mode, (byTier = []));
    let byImportance = byTier[tier];
    if (!byImportance) byTier[tier] = byImportance = new Map();
    const cell = this.#decisions.cell({ mode, tier: String(tier), importance });
    byImportance.set(importance, cell);
    return cell;
  }

  /** Observes one call to the store. */
  storeCall(kind: ObservationKind | 'ping' | 'inspect', durationMs: number, outcome: StoreOutcome): void {
    let byOutcome = this.#storeSeries.get(kind);
    if (!byOutcome) this.#storeSeries.set(kind, (byOutcome = new Map()));
    let series = byOutcome.get(outcome);
    if (!series) byOutcome.set(outcome, (series = this.#storeLatency.series({ kind, outcome })));
    series.observe(durationMs / 1000);
  }

  /** Counts one repaired corrupt value. */
  repair(corrupt: CorruptValue): void {
    this.#repairs.inc({ reason: corrupt.reason });
  }

  storeUp(up: boolean): void {
    this.#storeUp.set(up ? 1 : 0);
  }

  /** Observes one HTTP request; `route` must be a route template (bounded), never a raw URL. */
  httpRequest(method: string, route: string, statusCode: number, durationMs: number): void {
    this.#http.observe({ method, route, status_code: String(statusCode) }, durationMs / 1000);
  }

  /**
   * The recorder of one route and method (a route template, never a raw URL), to keep
   * and call for each of its requests: its series are looked up by status code only.
   */
  httpRoute(method: string, route: string): HttpRouteRecorder {
    const http = this.#http;
    const byStatus = new Map<number, HistogramSeries>();
    return {
      record(statusCode, durationMs) {
        let series = byStatus.get(statusCode);
        if (!series) byStatus.set(statusCode, (series = http.series({ method, route, status_code: String(statusCode) })));
        series.observe(durationMs / 1000);
      },
    };
  }

  eventClients(count: number): void {
    this.#eventClients.set(count);
  }

  /** Sets the open client connections and their bound. */
  connections(open: number, max?: number): void {
    this.#connections.set(open);
    if (max !== undefined) this.#connectionsMax.set(max);
  }

  /** Counts one connection refused at `maxConnections`. */
  connectionRefused(): void {
    this.#connectionsRefused.inc();
  }

  /**
   * Where the per-scope gauges (panic duration, panic active, current tier) read
   * their values at each scrape; scopes not listed disappear from them. The source
   * is synchronous: a scrape reads local state and never waits for the store.
   */
  setScopeSource(source: () => readonly ScopeGaugeValues[]): void {
    this.setSources({ scopes: source });
  }

  /** Sets where the gauges read their local values at each scrape (merged with those set before). */
  setSources(sources: MetricSources): void {
    this.#sources = { ...this.#sources, ...sources };
  }

  /** The Prometheus text exposition. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
