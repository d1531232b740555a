import type { VixCircuitBreaker } from '../../breaker/vix-circuit-breaker.js';
import { ShadowLedger } from '../../breaker/shadow-ledger.js';
import type { Disposable } from '../../core/event.js';
import { storeFailureReason } from '../../core/store-failure.js';
import { knowledgeFromFailure, knowledgeFromObservation } from './panic-knowledge.js';
import { ScopeTracker } from './scope-tracker.js';
import { ServiceMetrics } from './service-metrics.js';

/** Options of {@link ServiceTelemetry}. */
export interface ServiceTelemetryOptions {
  /** Most named scopes tracked for the dashboard and the per-scope metrics. Default 200. */
  maxTrackedScopes?: number | undefined;
  /** Register prom-client's default process metrics. Default true. */
  defaultMetrics?: boolean | undefined;
  clockKind?: string | undefined;
  timeScale?: number | undefined;
  version?: string | undefined;
  /** Real time source for rates. Default `Date.now`. */
  now?: (() => number) | undefined;
  /** The breaker's time source (the demo's accelerated clock): shadow seconds are counted on it. Default the breaker's, a monotonic clock. */
  clockNow?: (() => number) | undefined;
}

/** The events of a breaker that {@link ServiceTelemetry} listens to. */
export type BreakerEvents = Pick<VixCircuitBreaker, 'onDecision' | 'onStoreCall' | 'onRepair' | 'onObservation'>;

/**
 * What the service learns from its breaker: metrics and the scopes it has seen.
 * {@link attach} subscribes it to a breaker's events.
 */
export class ServiceTelemetry {
  readonly metrics: ServiceMetrics;
  readonly scopes: ScopeTracker;
  /** What shadow mode would have changed (fed by the decisions a breaker in shadow mode served; empty otherwise). */
  readonly shadow: ShadowLedger;

  constructor(options: ServiceTelemetryOptions = {}) {
    this.metrics = new ServiceMetrics(options);
    this.scopes = new ScopeTracker({ maxScopes: options.maxTrackedScopes ?? 200, now: options.now });
    this.shadow = new ShadowLedger({ now: options.clockNow });
    this.metrics.setSources({ shadow: () => this.shadow.totals() });
  }

  /** Feeds the metrics and the scope tracker from `breaker`'s events until the returned subscription is disposed. */
  attach(breaker: BreakerEvents): Disposable {
    let lastBatch = -1;
    const subscriptions = [
      breaker.onDecision(({ scope, decision, served }) => {
        this.metrics.decision(decision);
        if (served !== undefined) this.shadow.record(scope, served);
        // A panic refused past maxPanicScopes is counted, not tracked: a flood of new
        // scope names must not push the real scopes out of the dashboard and the metrics.
        if (decision.reason !== 'scope_limit') this.scopes.record(scope, decision);
      }),
      breaker.onStoreCall(({ scope, kind, durationMs, outcome, refresh, batch }) => {
        // The latency histogram counts round trips: the observations of one batch share one.
        if (batch !== lastBatch) {
          lastBatch = batch;
          this.metrics.storeCall(kind, durationMs, outcome);
        }
        if (outcome === 'ok') return;
        const activity = refresh ? this.scopes.peek(scope) : this.scopes.touch(scope);
        if (activity) activity.knowledge = knowledgeFromFailure(storeFailureReason(outcome), Date.now());
      }),
      breaker.onRepair(({ corrupt }) => this.metrics.repair(corrupt)),
      breaker.onObservation(({ scope, kind, observation, localMs, refresh }) => {
        // A decision's observation brings its scope in; the sync loop's refreshes (every active scope,
        // every interval) only keep the scopes already tracked fresh, so they cannot churn the table.
        const activity = refresh ? this.scopes.peek(scope) : this.scopes.touch(scope);
        if (activity) activity.knowledge = knowledgeFromObservation(observation, localMs, Date.now());
        this.metrics.panicEpisodes.observe(scope, kind, observation);
      }),
    ];
    return { dispose: () => subscriptions.forEach((subscription) => subscription.dispose()) };
  }
}
