import type { BreakerHooks } from '../../breaker/breaker-hooks.js';
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
}

/**
 * What the service learns from its breaker: metrics and the scopes it has seen.
 * Its `hooks` are the {@link BreakerHooks} to give the breaker at construction.
 */
export class ServiceTelemetry {
  readonly metrics: ServiceMetrics;
  readonly scopes: ScopeTracker;
  readonly hooks: BreakerHooks;

  constructor(options: ServiceTelemetryOptions = {}) {
    this.metrics = new ServiceMetrics(options);
    this.scopes = new ScopeTracker({ maxScopes: options.maxTrackedScopes ?? 200, now: options.now });
    this.hooks = {
      onDecision: ({ scope, decision }) => {
        this.metrics.decision(decision);
        // A panic refused past maxPanicScopes is counted, not tracked: a flood of new
        // scope names must not push the real scopes out of the dashboard and the metrics.
        if (decision.reason !== 'scope_limit') this.scopes.record(scope, decision);
      },
      onStoreCall: ({ scope, kind, durationMs, outcome }) => {
        this.metrics.storeCall(kind, durationMs, outcome);
        if (outcome !== 'ok') this.scopes.learn(scope, knowledgeFromFailure(`store_${outcome}`, Date.now()));
      },
      onRepair: ({ corrupt }) => this.metrics.repair(corrupt),
      onObservation: ({ scope, observation, localMs }) => this.scopes.learn(scope, knowledgeFromObservation(observation, localMs, Date.now())),
    };
  }
}
